"""Base and messaging tables of the members service, and the member registry table.
Organization and audit tables live in their feature folders."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, new_metadata
from shared.messaging_tables import add_messaging_tables


class MembersBase(Base):
    __abstract__ = True
    metadata = new_metadata()


messaging = add_messaging_tables(MembersBase.metadata)


class Member(MembersBase):
    """A Party member (党员): the district's one record of this person."""

    __tablename__ = "member"
    __table_args__ = (
        # One person, one record: an ID number appears once per district (merged and
        # deactivated-by-merge records keep theirs for the audit trail).
        Index(
            "uq_member_district_id_number",
            "district_id",
            "id_number",
            unique=True,
            postgresql_where=text("id_number IS NOT NULL AND status <> 'merged'"),
        ),
        Index("ix_member_name_mobile", "name", "mobile"),
        Index("ix_member_categories", "categories", postgresql_using="gin"),
        Index("ix_member_specialties", "specialties", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None] = mapped_column(Date)
    id_number: Mapped[str | None] = mapped_column(String(18))
    mobile: Mapped[str | None] = mapped_column(String(11), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    work_unit: Mapped[str | None] = mapped_column(String(100))
    post: Mapped[str | None] = mapped_column(String(50))
    education: Mapped[str | None] = mapped_column(String(20))
    specialties: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    interests: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    joined_at: Mapped[date | None] = mapped_column(Date)
    full_member_at: Mapped[date | None] = mapped_column(Date)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # The organization holding the member's organization relationship (组织关系).
    home_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id"), index=True
    )
    district_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    lives_in_area: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("member.id"))
    # Per-aggregate version carried in every event; consumers keep only newer states,
    # and an update naming an older version is refused (optimistic concurrency).
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
