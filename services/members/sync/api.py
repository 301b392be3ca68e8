"""``POST /units/{unit_id}/sync``: a unit Party organization syncs its in-service members."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.members.registry.service import Context
from services.members.sync import service
from services.members.sync.models import UnitMemberLink
from services.members.sync.schemas import SyncReport, SyncRequest
from shared.runtime import RuntimeDep, SessionDep
from shared.web import CorrelationIdDep

router = APIRouter(prefix="/units", tags=["单位党组织同步"])

# The route's request bodies may be larger than other routes' (services/members/app.py).
SYNC_PATH = r"/units/[^/]+/sync"

__all__ = ["SYNC_PATH", "UnitMemberLink", "router"]  # the model: the app's schema is whole


@router.post(
    "/{unit_id}/sync",
    response_model=SyncReport,
    summary="同步单位在职党员（全量或增量）",
    responses={
        404: {"description": "单位党组织不存在"},
        422: {"description": "空的全量名单或有错误行"},
    },
)
async def sync_unit(
    unit_id: uuid.UUID,
    body: SyncRequest,
    session: SessionDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationIdDep,
) -> SyncReport:
    ctx = Context(topic=runtime.own_topic, correlation_id=correlation_id)
    return await service.sync_unit(session, unit_id, body, ctx)
