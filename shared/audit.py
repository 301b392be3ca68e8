"""The audit log every service keeps: who changed what, when, with the record before and
after. Append-only; written in the writer's transaction.

A service adds the table to its own metadata with the mixin::

    class AuditEntry(AuditColumns, ActivitiesBase):
        __tablename__ = "audit_log"

and writes entries through its write context (``shared.writes.WriteContext.record``),
which calls :func:`record` here with the service's table, actor and request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    FromClause,
    Identity,
    Index,
    String,
    Uuid,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

# Credentials never enter the append-only log (nor leave it): a snapshot made from a
# model dump could otherwise carry them there for good.
SECRET_FIELDS = frozenset(
    {"password", "password_hash", "secret", "secret_hash", "token", "token_hash", "key"}
)


class AuditColumns:
    """One write. ``organization_ids`` are the organizations the write concerns (its
    anchors): an admin reads the row when one of them lies in the subtree of a node they
    audit, so an entry without any is read by nobody."""

    if TYPE_CHECKING:
        __table__: ClassVar[FromClause]
        __tablename__: str

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        # Fresh Index objects per table: an Index belongs to exactly one Table.
        return (
            Index(f"ix_{cls.__tablename__}_entity", "entity_type", "entity_id", "id"),
            Index(
                f"ix_{cls.__tablename__}_organization_ids",
                "organization_ids",
                postgresql_using="gin",
            ),
        )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    district_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # Server default: bulk writers that don't name the column still insert.
    organization_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), server_default=text("'{}'")
    )
    # none_as_null: "no record before" is SQL NULL, not the JSON value null.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    correlation_id: Mapped[str | None] = mapped_column(String(128))


Entry = TypeVar("Entry", bound=AuditColumns)


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
    model: type[AuditColumns],
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
    dicts (``model_dump(mode="json")``); ``None`` before means created."""
    entry = model()
    entry.entity_type = entity_type
    entry.entity_id = entity_id
    entry.action = action
    entry.actor = actor
    entry.before = without_secrets(before)
    entry.after = without_secrets(after)
    entry.organization_ids = anchors(*organization_ids)
    entry.district_id = district_id
    entry.community_id = community_id
    entry.correlation_id = correlation_id
    session.add(entry)
    await session.flush()


async def history(
    session: AsyncSession,
    model: type[Entry],
    entity_type: str,
    entity_id: uuid.UUID,
    limit: int = 200,
    after: int | None = None,
) -> list[Entry]:
    """One entity's entries, oldest first; ``after``: the id of the last entry already
    read (paging)."""
    query = select(model).where(model.entity_type == entity_type, model.entity_id == entity_id)
    if after is not None:
        query = query.where(model.id > after)
    return list((await session.scalars(query.order_by(model.id).limit(limit))).all())
