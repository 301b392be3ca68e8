"""The columns of the member and organization projections, as declarative mixins.

A service declares its own table class on its own Base, so the table lands in that
service's MetaData and migrations::

    class MemberProjection(MemberProjectionColumns, ActivitiesBase):
        __tablename__ = "member_projection"
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    ARRAY,
    Boolean,
    Date,
    DateTime,
    FromClause,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class MemberProjectionColumns:
    """A member as the members service's events describe them (no contact or identity
    numbers). ``home_organization_id`` holds the membership (组织关系): for an in-service
    member a unit Party organization, while ``community_id`` is where they live and
    report in (双报到)."""

    if TYPE_CHECKING:
        __table__: ClassVar[FromClause]

    member_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    district_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    home_organization_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20))
    # What activities, scoring and notify decide by: age (exemptions), categories (who a
    # rule covers), specialties (posts), the joining date (the Party anniversary).
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None] = mapped_column(Date)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    specialties: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    joined_at: Mapped[date | None] = mapped_column(Date)
    lives_in_area: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    projected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class OrganizationProjectionColumns:
    """An organization as the members service's events describe it.

    ``ancestor_ids`` runs from the root down, so a subtree is
    ``ancestor_ids @> ARRAY[:root] OR organization_id = :root`` (GIN index)."""

    if TYPE_CHECKING:
        __table__: ClassVar[FromClause]
        __tablename__: str

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        # A fresh Index per table: an Index object belongs to exactly one Table.
        name = f"ix_{cls.__tablename__}_ancestor_ids"
        return (Index(name, "ancestor_ids", postgresql_using="gin"),)

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
    branch_kind: Mapped[str | None] = mapped_column(String(30))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    projected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ReportInProjectionColumns:
    """An in-service member's report-in to a residential community (双报到), as the
    members service's events describe it: whom a community may expect at its activities
    and plan for, and whom a unit's feedback report is about."""

    if TYPE_CHECKING:
        __table__: ClassVar[FromClause]

    report_in_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[uuid.UUID] = mapped_column(index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    organization_id: Mapped[uuid.UUID | None]
    district_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(20))
    reported_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    projected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
