"""``POST /units/{unit_id}/sync``: a unit Party organization syncs its in-service members.

Called by the unit's own system with its API key (or by a unit admin). A key reaches
only its own unit: another unit answers 404. Calls are limited per key (or account),
``MembersSettings.sync_rate_limit``; beyond it the answer is 429 with Retry-After.

The report names the rows and the members they touched (id, name, the fields that
changed) but never echoes mobiles or ID numbers, so it needs no masking; of a member
the caller can't read (linked by ID number, kept by a community) it says only which
community keeps the record (``service.hide_out_of_sight``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.members.access import organization_for
from services.members.organizations.models import Organization
from services.members.policy import Action
from services.members.sync import service
from services.members.sync.models import UnitMemberLink
from services.members.sync.schemas import SyncReport, SyncRequest
from shared.auth.deps import require
from shared.auth.limits import Limiter, TooManyRequests
from shared.auth.principal import Principal
from shared.contracts.vocabulary import OrgKind
from shared.errors import NotFound
from shared.runtime import RuntimeDep, SessionDep
from shared.writes import WriteDep

router = APIRouter(prefix="/units", tags=["单位党组织同步"])

# The route's request bodies may be larger than other routes' (services/members/app.py).
SYNC_PATH = r"/units/[^/]+/sync"
UNIT_NOT_FOUND = "未找到该单位党组织"

__all__ = ["SYNC_PATH", "UnitMemberLink", "router"]  # the model: the app's schema is whole

SyncCallerDep = Annotated[Principal, Depends(require(Action.sync, api_keys=True))]


def sync_limiter(request: Request) -> Limiter:
    """The app's limiter (services/members/app.py); its counters are in the database."""
    limiter: Limiter = request.app.state.sync_limiter
    return limiter


async def check_rate(request: Request, engine: AsyncEngine, principal: Principal) -> None:
    """One call counted per key, in a transaction of its own (a failed sync still counts)."""
    limiter = sync_limiter(request)
    key = str(principal.subject)
    async with engine.begin() as conn:
        if await limiter.hit(conn, key) is not None:  # a full window takes no hit
            return
        wait = await limiter.retry_after(conn, key) or 1
    raise TooManyRequests(f"同步请求过于频繁，请 {wait} 秒后再试", wait)


@router.post(
    "/{unit_id}/sync",
    response_model=SyncReport,
    summary="同步单位在职党员（全量或增量）",
    responses={
        404: {"description": "单位党组织不存在（或不是本密钥的单位）"},
        422: {"description": "空的全量名单或有错误行"},
        429: {"description": "同步过于频繁（见 Retry-After）"},
    },
)
async def sync_unit(
    unit_id: uuid.UUID,
    body: SyncRequest,
    request: Request,
    principal: SyncCallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    ctx: WriteDep,
) -> SyncReport:
    await check_rate(request, runtime.engine, principal)
    unit = await session.get(Organization, unit_id)
    if unit is None or unit.kind != OrgKind.unit:  # not a unit: no such unit, whoever asks
        raise NotFound(UNIT_NOT_FOUND)
    await organization_for(session, principal, Action.sync, unit_id, message=UNIT_NOT_FOUND)
    return await service.sync_unit(session, unit_id, body, ctx)
