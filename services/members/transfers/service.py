"""Requesting, answering and cancelling transfers. Services flush; the caller commits.

Lock order is member, then transfer, everywhere: a request locks the member; an
acceptance locks the member before the transfer; the other answers lock only the
transfer."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.organizations.tree import HOME_KINDS
from services.members.registry.events import publish
from services.members.registry.home import Placement, place
from services.members.registry.repository import MemberRepository
from services.members.registry.service import member_anchors
from services.members.registry.service import snapshot as member_snapshot
from services.members.transfers.events import record, snapshot
from services.members.transfers.models import PENDING, Transfer
from services.members.transfers.schemas import TransferAnswer, TransferCreate, TransferDecision
from shared.contracts.members import MEMBER_TRANSFERRED
from shared.contracts.vocabulary import LIVE_STATUSES, OrgKind
from shared.errors import AppError, NotFound, invalid, stale_version
from shared.writes import WriteContext

STATUS_LABELS = {
    "accepted": "已被接收",
    "rejected": "已被拒绝",
    "returned": "已被退回",
    "cancelled": "已被撤回",
}
TARGET_REFUSED = "接收党组织不存在，或不能接收组织关系"
PLACE_FIELDS = ("home_organization_id", "district_id", "community_id", "branch_id")


def is_overdue(transfer: Transfer, today: date) -> bool:
    return transfer.status == PENDING and today > transfer.due_on


async def _member(session: AsyncSession, member_id: uuid.UUID, *, lock: bool = False) -> Member:
    member = await MemberRepository(session).get(member_id, for_update=lock)
    if member is None:
        raise NotFound("未找到该党员")
    return member


async def _target(
    session: AsyncSession, org_id: uuid.UUID, member: Member, *, in_sight: bool
) -> Placement:
    """Where the member would be placed. A receiver outside the requester's sight may be
    anywhere on the platform; every refusal about it then reads the same, so that
    requests reveal nothing about organizations the requester cannot see."""
    try:
        return await _placement(session, org_id, member)
    except AppError:
        if in_sight:
            raise
        raise invalid("to_organization_id", TARGET_REFUSED) from None


async def _placement(session: AsyncSession, org_id: uuid.UUID, member: Member) -> Placement:
    target = await session.get(Organization, org_id)
    if target is None:
        raise invalid("to_organization_id", "接收党组织不存在")
    if target.status != "active":
        raise invalid("to_organization_id", "接收党组织已撤销，不能转入")
    if OrgKind(target.kind) not in HOME_KINDS:
        raise invalid(
            "to_organization_id", "组织关系只能转入党委、党总支、党支部、党小组或单位党组织"
        )
    # A unit Party organization keeps the member in the community they live in.
    return await place(session, target.id, member.community_id, community_must_match=False)


async def request_transfer(
    session: AsyncSession,
    data: TransferCreate,
    ctx: WriteContext,
    *,
    due_days: int,
    today: date | None = None,
    target_in_sight: bool = True,
) -> tuple[Transfer, str]:
    """``target_in_sight``: whether the requester can read the receiving organization
    (if not, refusals about it say nothing about it)."""
    today = today or date.today()
    member = await _member(session, data.member_id, lock=True)
    if member.version != data.member_version:
        raise stale_version()
    if member.status not in LIVE_STATUSES:
        raise AppError(409, "member_inactive", "该党员记录已停用，不能办理组织关系转接")
    if member.home_organization_id is None:
        raise AppError(409, "no_home_organization", "该党员没有组织关系所在党组织，不能转接")
    if data.to_organization_id == member.home_organization_id:
        raise invalid("to_organization_id", "该党员的组织关系已在此党组织，无需转接")
    placement = await _target(session, data.to_organization_id, member, in_sight=target_in_sight)
    query = select(Transfer).where(Transfer.member_id == member.id, Transfer.status == PENDING)
    pending = (await session.scalars(query)).first()
    if pending is not None:
        message = "该党员已有一份待接收的组织关系转接申请，请等待对方处理或撤回后再申请"
        raise AppError(409, "transfer_pending", message, data=snapshot(pending, member.name))
    transfer = Transfer(
        id=uuid.uuid4(),
        member_id=member.id,
        from_organization_id=member.home_organization_id,
        from_community_id=member.community_id,
        from_district_id=member.district_id,
        to_organization_id=placement.home.id,
        to_community_id=placement.community_id,
        to_district_id=placement.district_id,
        status=PENDING,
        reason=data.reason,
        requested_on=today,
        due_on=today + timedelta(days=due_days),
        requested_by=ctx.actor,
        version=1,
    )
    session.add(transfer)
    await session.flush()
    await session.refresh(transfer)
    await record(session, ctx, transfer, member.name, action="requested", before=None)
    return transfer, member.name


async def _locked(session: AsyncSession, transfer_id: uuid.UUID, version: int) -> Transfer:
    transfer = await session.get(Transfer, transfer_id, with_for_update=True)
    if transfer is None:
        raise NotFound("未找到该转接申请")
    if transfer.status != PENDING:
        label = STATUS_LABELS.get(transfer.status, transfer.status)
        raise AppError(409, "transfer_not_pending", f"该转接申请{label}，不能再处理")
    if transfer.version != version:
        raise stale_version()
    return transfer


async def _end(
    session: AsyncSession,
    transfer: Transfer,
    status: str,
    ctx: WriteContext,
    answer: str | None = None,
    before: dict[str, Any] | None = None,
) -> tuple[Transfer, str]:
    name = (await _member(session, transfer.member_id)).name
    before = before or snapshot(transfer, name)
    transfer.status = status
    transfer.answer = answer
    transfer.decided_at = func.now()
    transfer.decided_by = ctx.actor
    transfer.version += 1
    await session.flush()
    await session.refresh(transfer)
    await record(session, ctx, transfer, name, action=status, before=before)
    return transfer, name


async def accept_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, data: TransferDecision, ctx: WriteContext
) -> tuple[Transfer, str]:
    """The member's home organization, community and district change with the
    transfer, in one transaction: member row, both audit entries and both events."""
    member_id = await session.scalar(select(Transfer.member_id).where(Transfer.id == transfer_id))
    if member_id is None:
        raise NotFound("未找到该转接申请")
    member = await _member(session, member_id, lock=True)
    transfer = await _locked(session, transfer_id, data.version)
    if member.status not in LIVE_STATUSES:
        raise AppError(409, "member_inactive", "该党员记录已停用，不能接收其组织关系")
    if member.home_organization_id == transfer.to_organization_id:
        raise AppError(409, "already_there", "该党员的组织关系已在接收党组织，请撤回该申请")
    target = await session.get(Organization, transfer.to_organization_id)
    if target is None or target.status != "active":
        raise AppError(409, "target_inactive", "接收党组织已撤销，不能接收；请退回该申请")
    placement = await place(session, target.id, member.community_id, community_must_match=False)
    before, transfer_before = member_snapshot(member), snapshot(transfer, member.name)
    values = {
        "home_organization_id": placement.home.id,
        "district_id": placement.district_id,
        "community_id": placement.community_id,
        "branch_id": placement.branch_id,
    }
    changed = sorted(k for k, v in values.items() if getattr(member, k) != v)
    for key in changed:
        setattr(member, key, values[key])
    member.version += 1
    transfer.to_community_id, transfer.to_district_id = member.community_id, member.district_id
    await session.flush()
    await session.refresh(member)
    await ctx.record(
        session,
        entity_type="member",
        entity_id=member.id,
        action="transferred",
        before=before,
        after=member_snapshot(member) | {"transfer_id": str(transfer.id)},
        # Both sides read it: where the member's organization relationship was, and is.
        organization_ids=member_anchors(member, before),
        district_id=member.district_id,
        community_id=member.community_id,
    )
    await publish(
        session,
        ctx,
        MEMBER_TRANSFERRED,
        member,
        changed=changed,
    )
    return await _end(session, transfer, "accepted", ctx, before=transfer_before)


async def answer_transfer(
    session: AsyncSession,
    transfer_id: uuid.UUID,
    data: TransferAnswer,
    status: str,
    ctx: WriteContext,
) -> tuple[Transfer, str]:
    """Reject (拒绝) or return (退回, for the sender to correct and request again)."""
    transfer = await _locked(session, transfer_id, data.version)
    return await _end(session, transfer, status, ctx, data.answer)


async def cancel_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, data: TransferDecision, ctx: WriteContext
) -> tuple[Transfer, str]:
    """The sender withdraws (撤回) a request the receiver has not answered."""
    transfer = await _locked(session, transfer_id, data.version)
    return await _end(session, transfer, "cancelled", ctx)
