"""Writing the audit log (in the writer's transaction) and reading one entity's history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.audit.models import AuditEntry

# Credentials never enter the append-only log (nor leave it): a snapshot made from a
# model dump could otherwise carry them there for good.
SECRET_FIELDS = frozenset(
    {"password", "password_hash", "secret", "secret_hash", "token", "token_hash", "key"}
)


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    before, after = before or {}, after or {}
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def without_secrets(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None or SECRET_FIELDS.isdisjoint(values):
        return values
    return {k: v for k, v in values.items() if k not in SECRET_FIELDS}


def anchors(*ids: uuid.UUID | str | None) -> list[uuid.UUID]:
    """The distinct organization ids among ``ids`` (snapshot strings or UUIDs), in order;
    None (no such organization) is dropped."""
    found: dict[uuid.UUID, None] = {}
    for value in ids:
        if value is not None:
            found[value if isinstance(value, uuid.UUID) else uuid.UUID(value)] = None
    return list(found)


async def record(
    session: AsyncSession,
    *,
    entity_type: str,
    entity_id: uuid.UUID,
    action: str,
    actor: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    organization_ids: Iterable[uuid.UUID] = (),
    district_id: uuid.UUID | None = None,
    community_id: uuid.UUID | None = None,
    correlation_id: str | None = None,
) -> None:
    """Append an entry in the caller's transaction. ``before``/``after`` are JSON-ready
    dicts (``model_dump(mode="json")``); ``None`` before means created.
    ``organization_ids``: the organizations the write concerns — only admins of their
    subtrees read the entry, so an entry without any is read by nobody."""
    session.add(
        AuditEntry(
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            actor=actor,
            before=without_secrets(before),
            after=without_secrets(after),
            organization_ids=anchors(*organization_ids),
            district_id=district_id,
            community_id=community_id,
            correlation_id=correlation_id,
        )
    )
    await session.flush()


async def history(
    session: AsyncSession,
    entity_type: str,
    entity_id: uuid.UUID,
    limit: int = 200,
    after: int | None = None,
) -> list[AuditEntry]:
    """Oldest first; ``after``: the id of the last entry already read (paging)."""
    query = select(AuditEntry).where(
        AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id
    )
    if after is not None:
        query = query.where(AuditEntry.id > after)
    return list((await session.scalars(query.order_by(AuditEntry.id).limit(limit))).all())
