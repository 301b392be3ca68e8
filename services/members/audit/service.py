from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.audit.models import AuditEntry


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    before, after = before or {}, after or {}
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


async def record(
    session: AsyncSession,
    *,
    entity_type: str,
    entity_id: uuid.UUID,
    action: str,
    actor: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    district_id: uuid.UUID | None = None,
    community_id: uuid.UUID | None = None,
    correlation_id: str | None = None,
) -> None:
    """Append an entry in the caller's transaction. ``before``/``after`` are JSON-ready
    dicts (``model_dump(mode="json")``); ``None`` before means created."""
    session.add(
        AuditEntry(
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            actor=actor,
            before=before,
            after=after,
            district_id=district_id,
            community_id=community_id,
            correlation_id=correlation_id,
        )
    )
    await session.flush()


async def history(
    session: AsyncSession, entity_type: str, entity_id: uuid.UUID, limit: int = 200
) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())
