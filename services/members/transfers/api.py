"""``/transfers``: organization relationship transfers (组织关系转接).

Access (Step 3): the sending side requests (``write`` on the member) and may name any
active receiving organization on the platform, seen or not; a transfer is visible to
both sides (see ``search``) and 404 to everyone else; the receiving side accepts,
rejects or returns it (``write`` on the receiving organization), the sending side
cancels it. ``requested_by``, ``decided_by`` and every audit row and event name the
caller (``principal.actor``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from fastapi import status as http_status
from sqlalchemy import select

from services.members.access import member_for, organization_for, organizations_visible
from services.members.organizations.models import Organization
from services.members.policy import Action
from services.members.settings import MembersSettings
from services.members.transfers import service
from services.members.transfers.models import Transfer
from services.members.transfers.schemas import (
    Direction,
    TransferAnswer,
    TransferCreate,
    TransferDecision,
    TransferOut,
    TransferPage,
    TransferStatus,
)
from services.members.transfers.search import (
    Side,
    TransferQuery,
    check_transfer,
    get_transfer,
    list_transfers,
)
from shared.auth.deps import PrincipalDep
from shared.runtime import RuntimeDep, SessionDep
from shared.writes import WriteDep

router = APIRouter(prefix="/transfers", tags=["组织关系转接"])

__all__ = ["Transfer", "router"]  # the model: the app's schema is whole

CONFLICTS: dict[int | str, dict[str, Any]] = {
    403: {"description": "可以查看该申请，但不是办理这一步的一方"},
    404: {"description": "转接申请不存在或不在本账号的管辖范围内"},
    409: {"description": "状态已变化、版本过期或已有待接收的申请"},
}


def out(row: tuple[Transfer, str], today: date | None = None) -> TransferOut:
    transfer, member_name = row
    values = {c.key: getattr(transfer, c.key) for c in Transfer.__table__.columns}
    overdue = service.is_overdue(transfer, today or date.today())
    return TransferOut.model_validate(values | {"member_name": member_name, "overdue": overdue})


@router.post(
    "",
    status_code=http_status.HTTP_201_CREATED,
    response_model=TransferOut,
    summary="发起组织关系转接申请",
    responses=CONFLICTS,
)
async def request_transfer(
    body: TransferCreate,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    ctx: WriteDep,
) -> TransferOut:
    settings = runtime.settings
    assert isinstance(settings, MembersSettings)
    # Locked now: the service locks the member too, and must not see a stale copy.
    await member_for(session, principal, Action.write, body.member_id, for_update=True)
    in_sight = await session.scalar(
        select(
            select(Organization.id)
            .where(
                Organization.id == body.to_organization_id,
                organizations_visible(principal, Action.read),
            )
            .exists()
        )
    )
    row = await service.request_transfer(
        session,
        body,
        ctx,
        due_days=settings.transfer_due_days,
        target_in_sight=bool(in_sight),
    )
    return out(row)


@router.get("", response_model=TransferPage, summary="查询转接申请（转入或转出）")
async def list_all(
    principal: PrincipalDep,
    session: SessionDep,
    organization_id: uuid.UUID | None = Query(
        None, description="组织（含全部下级）；不填则为本账号可见的全部申请"
    ),
    direction: Direction | None = Query(
        None, description="incoming 转入、outgoing 转出；不填则两者都含"
    ),
    status: TransferStatus | None = Query(None, description="状态"),
    overdue: bool | None = Query(None, description="true 只看已超期的待接收申请"),
    cursor: str | None = Query(None, max_length=500, description="上一页返回的 next_cursor"),
    limit: int = Query(50, ge=1, le=200),
) -> TransferPage:
    if organization_id is not None:
        await organization_for(session, principal, Action.read, organization_id)
    today = date.today()
    query = TransferQuery(organization_id, direction, status, overdue, cursor, limit)
    rows, next_cursor = await list_transfers(session, query, today, principal=principal)
    return TransferPage(items=[out(r, today) for r in rows], next_cursor=next_cursor)


@router.get("/{transfer_id}", response_model=TransferOut, summary="查看转接申请")
async def get_one(
    transfer_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> TransferOut:
    return out(await get_transfer(session, transfer_id, principal=principal))


@router.post(
    "/{transfer_id}/accept",
    response_model=TransferOut,
    summary="接收（党员的组织关系随即转入）",
    responses=CONFLICTS,
)
async def accept(
    transfer_id: uuid.UUID,
    body: TransferDecision,
    principal: PrincipalDep,
    session: SessionDep,
    ctx: WriteDep,
) -> TransferOut:
    await check_transfer(session, principal, transfer_id, Side.receiver)
    ctx = ctx
    return out(await service.accept_transfer(session, transfer_id, body, ctx))


@router.post(
    "/{transfer_id}/reject", response_model=TransferOut, summary="拒绝", responses=CONFLICTS
)
async def reject(
    transfer_id: uuid.UUID,
    body: TransferAnswer,
    principal: PrincipalDep,
    session: SessionDep,
    ctx: WriteDep,
) -> TransferOut:
    await check_transfer(session, principal, transfer_id, Side.receiver)
    ctx = ctx
    return out(await service.answer_transfer(session, transfer_id, body, "rejected", ctx))


@router.post(
    "/{transfer_id}/return",
    response_model=TransferOut,
    summary="退回（请发起方修改后重新申请）",
    responses=CONFLICTS,
)
async def return_(
    transfer_id: uuid.UUID,
    body: TransferAnswer,
    principal: PrincipalDep,
    session: SessionDep,
    ctx: WriteDep,
) -> TransferOut:
    await check_transfer(session, principal, transfer_id, Side.receiver)
    ctx = ctx
    return out(await service.answer_transfer(session, transfer_id, body, "returned", ctx))


@router.post(
    "/{transfer_id}/cancel",
    response_model=TransferOut,
    summary="撤回（发起方）",
    responses=CONFLICTS,
)
async def cancel(
    transfer_id: uuid.UUID,
    body: TransferDecision,
    principal: PrincipalDep,
    session: SessionDep,
    ctx: WriteDep,
) -> TransferOut:
    await check_transfer(session, principal, transfer_id, Side.sender)
    ctx = ctx
    return out(await service.cancel_transfer(session, transfer_id, body, ctx))
