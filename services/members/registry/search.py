"""Listing and searching the registry: filters, sorting and cursor pagination.

The cursor is the last row's (sort value, id), so pages stay stable while members are
added (:mod:`shared.paging`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    any_,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import members_visible
from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.policy import Action
from shared.auth.principal import Principal
from shared.db import uuid_array
from shared.paging import decode_cursor, encode_cursor

FAR_PAST = date(1, 1, 1)


class SortKey(StrEnum):
    created_at = "created_at"
    name = "name"
    joined_at = "joined_at"


@dataclass(frozen=True)
class MemberQuery:
    organization_id: uuid.UUID | None = None
    category: str | None = None
    status: str | None = None
    specialty: str | None = None
    q: str | None = None
    sort: SortKey = SortKey.created_at
    descending: bool = False
    cursor: str | None = None
    limit: int = 50


def _sort_column(sort: SortKey) -> ColumnElement[Any]:
    if sort == SortKey.name:
        return Member.__table__.c.name
    if sort == SortKey.joined_at:
        return func.coalesce(Member.joined_at, literal(FAR_PAST))
    return Member.__table__.c.created_at


_CURSOR_KINDS: dict[SortKey, type] = {
    SortKey.name: str,
    SortKey.joined_at: date,
    SortKey.created_at: datetime,
}


def in_subtree(root: uuid.UUID) -> ColumnElement[bool]:
    """Members whose home organization or residential community lies in root's subtree."""
    subtree = select(Organization.id).where(
        or_(Organization.id == root, Organization.ancestor_ids.op("@>")(uuid_array([root])))
    )
    return or_(Member.home_organization_id.in_(subtree), Member.community_id.in_(subtree))


def mobile_searchable(principal: Principal) -> ColumnElement[bool]:
    """Members whose mobile the caller sees in full (``Principal.sees_personal_data``:
    the member, and those who may change the record): only these match a mobile number,
    so a masked mobile can't be read back digit by digit through the search."""
    conditions = [members_visible(principal, Action.write)]
    if principal.member_id is not None:
        conditions.append(Member.id == principal.member_id)
    return or_(*conditions)


def _filters(
    query: MemberQuery,
    scope: ColumnElement[bool] | None = None,
    mobile_scope: ColumnElement[bool] | None = None,
) -> Select[Any]:
    stmt = select(Member)
    if scope is not None:
        stmt = stmt.where(scope)
    if query.organization_id is not None:
        stmt = stmt.where(in_subtree(query.organization_id))
    if query.category:
        stmt = stmt.where(literal(query.category) == any_(Member.categories))
    if query.status:
        stmt = stmt.where(Member.status == query.status)
    else:
        stmt = stmt.where(Member.status != "merged")
    if query.specialty:
        stmt = stmt.where(literal(query.specialty) == any_(Member.specialties))
    if query.q:
        text = query.q.strip()
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition: ColumnElement[bool] = Member.name.ilike(pattern)
        if text.isdigit():
            by_mobile = Member.mobile.startswith(text)
            if mobile_scope is not None:
                by_mobile = and_(mobile_scope, by_mobile)
            condition = or_(condition, by_mobile)
        stmt = stmt.where(condition)
    return stmt


async def search_members(
    session: AsyncSession,
    query: MemberQuery,
    *,
    scope: ColumnElement[bool] | None = None,
    mobile_scope: ColumnElement[bool] | None = None,
) -> tuple[list[Member], str | None]:
    """``scope``: the rows the caller may see (``access.members_visible``); ``mobile_scope``:
    those whose mobile a digits-only ``q`` may match (:func:`mobile_searchable`). None
    means no limit (operators' tools)."""
    column = _sort_column(query.sort)
    stmt = _filters(query, scope, mobile_scope)
    if query.cursor:
        value, last_id = decode_cursor(query.cursor, _CURSOR_KINDS[query.sort], uuid.UUID)
        after = tuple_(column, Member.id)
        stmt = stmt.where(
            after < (value, last_id) if query.descending else after > (value, last_id)
        )
    order = (column.desc(), Member.id.desc()) if query.descending else (column, Member.id)
    rows = list((await session.scalars(stmt.order_by(*order).limit(query.limit + 1))).all())
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last = rows[-1]
    value = {
        SortKey.name: last.name,
        SortKey.joined_at: last.joined_at or FAR_PAST,
        SortKey.created_at: last.created_at,
    }[query.sort]
    return rows, encode_cursor(value, last.id)
