"""Reading the audit log: the entries in the caller's audit reach, filtered, newest
first, with cursor pagination.

An entry is in reach when one of its ``organization_ids`` lies in the subtree of a node
the caller holds an audit grant on. The cursor is the last entry's id (ids only grow),
opaque to callers (:mod:`shared.paging`)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import subtree
from services.members.audit.models import AuditEntry
from services.members.organizations.models import Organization
from services.members.organizations.repository import in_subtree
from services.members.policy import Action
from shared.auth.principal import Principal
from shared.errors import invalid
from shared.paging import decode_cursor, encode_cursor

# A bare date or a time without a zone is read as Beijing time, the platform's users'.
BEIJING = timezone(timedelta(hours=8))
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BAD_MOMENT = "不是有效的日期或时间，应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM:SS（可带时区）"


@dataclass(frozen=True)
class AuditQuery:
    organization_id: uuid.UUID | None = None
    entity_type: str | None = None
    entity_id: uuid.UUID | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None  # inclusive
    before: datetime | None = None  # exclusive
    cursor: str | None = None
    limit: int = 50


def moment(value: str | None, field: str, *, end: bool = False) -> datetime | None:
    """``since``/``until`` as a point in time. A date means its whole day: from its start,
    or (``end``) up to the start of the next day. A time ``end`` is inclusive, so the
    bound returned is one microsecond (the database's resolution) later."""
    if value is None:
        return None
    text = value.strip()
    try:
        if DATE.fullmatch(text):
            at = datetime.combine(date.fromisoformat(text), time(), BEIJING)
            step = timedelta(days=1)
        else:
            at = datetime.fromisoformat(text)
            at = at if at.tzinfo else at.replace(tzinfo=BEIJING)
            step = timedelta(microseconds=1)
        at = (at + step if end else at).astimezone(UTC)
    except (ValueError, OverflowError):
        raise invalid(field, BAD_MOMENT) from None
    return at


def _concerns(organizations: Any) -> ColumnElement[bool]:
    """Entries naming one of the organizations the SELECT ``organizations`` returns: one
    ``&&`` against the array of them, which the GIN index on ``organization_ids`` serves."""
    return AuditEntry.organization_ids.bool_op("&&")(func.array(organizations.scalar_subquery()))


def audit_visible(principal: Principal) -> ColumnElement[bool]:
    if not principal.nodes_for(Action.audit):
        return false()
    return _concerns(subtree(principal, Action.audit))


async def search_entries(
    session: AsyncSession, query: AuditQuery, scope: ColumnElement[bool]
) -> tuple[list[AuditEntry], str | None]:
    """``scope``: the entries the caller may read (:func:`audit_visible`)."""
    stmt = select(AuditEntry).where(scope)
    if query.organization_id is not None:
        stmt = stmt.where(
            _concerns(select(Organization.id).where(in_subtree(query.organization_id)))
        )
    for column, value in (
        (AuditEntry.entity_type, query.entity_type),
        (AuditEntry.entity_id, query.entity_id),
        (AuditEntry.actor, query.actor),
        (AuditEntry.action, query.action),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if query.since is not None:
        stmt = stmt.where(AuditEntry.at >= query.since)
    if query.before is not None:
        stmt = stmt.where(AuditEntry.at < query.before)
    if query.cursor:
        (last_id,) = decode_cursor(query.cursor, int)
        stmt = stmt.where(AuditEntry.id < last_id)
    stmt = stmt.order_by(AuditEntry.id.desc()).limit(query.limit + 1)
    rows = list((await session.scalars(stmt)).all())
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    return rows, encode_cursor(rows[-1].id)
