from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, DateTime, Index, Integer, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.models import NotifyBase


class OrganizationProjection(NotifyBase):
    """What notify knows of an organization; only the members service changes them.

    ``ancestor_ids`` runs from the root down, so a subtree is
    ``ancestor_ids @> ARRAY[:root] OR organization_id = :root`` (GIN index)."""

    __tablename__ = "organization_projection"
    __table_args__ = (
        Index("ix_organization_projection_ancestor_ids", "ancestor_ids", postgresql_using="gin"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    ancestor_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    district_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20))
    # Unit Party organizations: the communities they co-build with (共驻共建).
    co_building_community_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    projected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
