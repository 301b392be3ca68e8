"""Audit log: who changed what, when, with the record before and after. Append-only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, Identity, Index, String, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.members.models import MembersBase


class AuditEntry(MembersBase):
    """One write to a member, organization, report-in, transfer, account, grant or API
    key. Rows are only ever inserted. ``organization_ids`` are the organizations the
    write concerns (its anchors): an admin reads the row when one of them lies in the
    subtree of a node they audit."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id", "id"),
        Index("ix_audit_log_organization_ids", "organization_ids", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[uuid.UUID]
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    district_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # Server default: bulk writers that don't name the column yet still insert.
    organization_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), server_default=text("'{}'")
    )
    # none_as_null: "no record before" is SQL NULL, not the JSON value null.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    correlation_id: Mapped[str | None] = mapped_column(String(128))
