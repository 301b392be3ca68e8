"""The report-in table: one row per report-in, kept after it ends (the history)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.members.models import MembersBase

ACTIVE = "active"
ENDED = "ended"


class ReportIn(MembersBase):
    """An in-service member's report-in (报到) to a residential community.

    The member's organization relationship stays with the unit (``unit_id``, the home
    organization at reporting time); the community, and optionally one of its branches
    or groups, is where they serve. At most one report-in per member is active."""

    __tablename__ = "report_in"
    __table_args__ = (
        Index(
            "uq_report_in_member_active",
            "member_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_report_in_community_status", "community_id", "status"),
        Index("ix_report_in_unit_status", "unit_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("member.id"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"))
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id"))
    district_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    reported_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
