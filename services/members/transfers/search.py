"""Reading transfers: one by id, and the incoming or outgoing ones of an organization's
subtree with filters and cursor pagination (oldest first, so the most pressing lead).

Who sees a transfer: anyone who can read its sending organization, the member's community
when it was requested (a unit member's residential community, which sees the member too)
or its receiving organization. Out of sight it answers 404. The receiving side answers
it (write on the receiving organization); the sending side cancels it (write on the
sending organization or that community).

The cursor is the last row's (created_at, id) (:mod:`shared.paging`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import organizations_visible
from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.organizations.repository import in_subtree
from services.members.policy import Action
from services.members.transfers.models import PENDING, Transfer
from services.members.transfers.schemas import Direction
from shared.auth.deps import forbidden
from shared.auth.principal import Principal
from shared.auth.scope import visible
from shared.errors import NotFound
from shared.paging import decode_cursor, encode_cursor

TRANSFER_NOT_FOUND = "未找到该转接申请"


class Side(StrEnum):
    sender = "sender"  # 转出方：撤回
    receiver = "receiver"  # 转入方：接收、拒绝、退回


SIDE_REFUSALS = {
    Side.sender: "只有转出方可以撤回该转接申请",
    Side.receiver: "只有接收方党组织可以接收、拒绝或退回该转接申请",
}


@dataclass(frozen=True)
class TransferQuery:
    organization_id: uuid.UUID | None = None
    direction: Direction | None = None
    status: str | None = None
    overdue: bool | None = None
    cursor: str | None = None
    limit: int = 50


def overdue_condition(today: date) -> ColumnElement[bool]:
    return and_(Transfer.status == PENDING, Transfer.due_on < today)


def _direction(root: uuid.UUID, direction: Direction | None) -> ColumnElement[bool]:
    subtree = select(Organization.id).where(in_subtree(root))
    incoming = Transfer.to_organization_id.in_(subtree)
    outgoing = Transfer.from_organization_id.in_(subtree)
    if direction == Direction.incoming:
        return incoming
    if direction == Direction.outgoing:
        return outgoing
    return or_(incoming, outgoing)


def transfers_visible(principal: Principal) -> ColumnElement[bool]:
    """Transfers in the caller's read reach, from either side."""
    anchors = [
        Transfer.from_organization_id,
        Transfer.from_community_id,
        Transfer.to_organization_id,
    ]
    return visible(principal, Action.read, anchors, Organization.id, Organization.ancestor_ids)


async def check_transfer(
    session: AsyncSession, principal: Principal, transfer_id: uuid.UUID, side: Side
) -> None:
    """404 when the transfer is out of the caller's sight, 403 when they see it but may
    not act for ``side``. Reads plain columns, never the entity: the service then locks
    the row and must load it fresh."""
    query = select(
        Transfer.from_organization_id, Transfer.from_community_id, Transfer.to_organization_id
    ).where(Transfer.id == transfer_id, transfers_visible(principal))
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound(TRANSFER_NOT_FOUND)
    if side == Side.receiver:
        organizations = [row.to_organization_id]
    else:
        organizations = [i for i in (row.from_organization_id, row.from_community_id) if i]
    allowed = exists().where(
        Organization.id.in_(organizations), organizations_visible(principal, Action.write)
    )
    if not await session.scalar(select(allowed)):
        raise forbidden(SIDE_REFUSALS[side])


async def get_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, *, principal: Principal | None = None
) -> tuple[Transfer, str]:
    """``principal``: only a transfer in their sight (else 404)."""
    query = (
        select(Transfer, Member.name)
        .join(Member, Member.id == Transfer.member_id)
        .where(Transfer.id == transfer_id)
    )
    if principal is not None:
        query = query.where(transfers_visible(principal))
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound(TRANSFER_NOT_FOUND)
    return row[0], row[1]


async def list_transfers(
    session: AsyncSession,
    query: TransferQuery,
    today: date,
    *,
    principal: Principal | None = None,
) -> tuple[list[tuple[Transfer, str]], str | None]:
    """``principal``: only transfers in their sight."""
    stmt: Any = select(Transfer, Member.name).join(Member, Member.id == Transfer.member_id)
    if principal is not None:
        stmt = stmt.where(transfers_visible(principal))
    if query.organization_id is not None:
        stmt = stmt.where(_direction(query.organization_id, query.direction))
    if query.status:
        stmt = stmt.where(Transfer.status == query.status)
    if query.overdue is not None:
        overdue = overdue_condition(today)
        stmt = stmt.where(overdue if query.overdue else not_(overdue))
    if query.cursor:
        created_at, last_id = decode_cursor(query.cursor, datetime, uuid.UUID)
        stmt = stmt.where(tuple_(Transfer.created_at, Transfer.id) > (created_at, last_id))
    stmt = stmt.order_by(Transfer.created_at, Transfer.id).limit(query.limit + 1)
    rows = [(t, name) for t, name in (await session.execute(stmt)).all()]
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last = rows[-1][0]
    return rows, encode_cursor(last.created_at, last.id)
