"""The roster (党员台账) over HTTP: upload to import, download to export."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, UploadFile

from services.members.access import organization_for
from services.members.policy import Action
from services.members.registry import present
from services.members.roster import service
from services.members.roster.export import content_disposition, export_roster
from services.members.roster.files import MAX_BYTES
from shared.auth.deps import require
from shared.auth.principal import Principal
from shared.contracts.vocabulary import MemberStatus
from shared.errors import AppError, ErrorBody
from shared.runtime import SessionDep
from shared.spreadsheets.writer import XLSX_MEDIA_TYPE
from shared.writes import WriteDep

router = APIRouter(prefix="/communities/{community_id}/roster", tags=["党员台账"])
# Uploads may exceed the default body cap; the app gives this path the bulk cap.
ROSTER_IMPORT_PATH = r"/communities/[^/]+/roster/import"
COMMUNITY_NOT_FOUND = "未找到该社区"


@router.post(
    "/import",
    response_model=service.ImportReport,
    summary="导入党员台账（.xlsx 或 CSV）",
    responses={422: {"model": ErrorBody, "description": "有错误的行（code: roster_invalid）"}},
)
async def import_roster(
    community_id: uuid.UUID,
    file: UploadFile,
    principal: Annotated[Principal, Depends(require(Action.write))],
    session: SessionDep,
    ctx: WriteDep,
    partial: bool = Query(False, description="只导入正确的行，有误的行列出不导入"),
    dry_run: bool = Query(False, description="试导入：只检查，不写入"),
) -> service.ImportReport:
    await organization_for(
        session, principal, Action.write, community_id, message=COMMUNITY_NOT_FOUND
    )
    if file.size is not None and file.size > MAX_BYTES:
        raise AppError(413, "payload_too_large", "文件过大，请分批导入")
    data = await file.read()
    return await service.import_roster(
        session, community_id, data, file.filename, ctx, partial=partial, dry_run=dry_run
    )


@router.get(
    "/export",
    response_class=Response,
    summary="导出党员台账（.xlsx）",
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
)
async def export(
    community_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require(Action.read))],
    session: SessionDep,
    ctx: WriteDep,
    status: MemberStatus | None = Query(None, description="只导出这一状态的党员；不填则全部"),
) -> Response:
    community = await organization_for(
        session, principal, Action.read, community_id, message=COMMUNITY_NOT_FOUND
    )
    # Mobile, ID number and address in full for those who may change the records (so the
    # file can be corrected and imported again), masked for read-only roles.
    full = await present.record_community_read(
        session,
        principal,
        community,
        read="roster_export",
        ctx=ctx,
        status=status,
    )
    filename, content = await export_roster(session, community_id, status, masked=not full)
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(filename)},
    )
