from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, DateTime, ForeignKey, Index, Integer, String, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.members.models import MembersBase


class Organization(MembersBase):
    """A node of the organization tree (党组织). Never deleted: deactivated instead.

    ``ancestor_ids`` is the materialized path from the root down (excluding the node),
    so a subtree is ``WHERE ancestor_ids @> ARRAY[:id] OR id = :id``, which the GIN index
    serves (``:id = ANY(ancestor_ids)`` would not use it)."""

    __tablename__ = "organization"
    __table_args__ = (
        Index("ix_organization_ancestor_ids", "ancestor_ids", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id"), index=True)
    ancestor_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    district_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Unit Party organizations: the communities they co-build with (共驻共建).
    co_building_community_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    # Communities: default settings onboarded with them (e.g. scoring defaults).
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
