"""The transfer table: one request to move a member's home organization."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.members.models import MembersBase

PENDING = "pending"
ENDED = ("accepted", "rejected", "returned", "cancelled")


class Transfer(MembersBase):
    """组织关系转接. ``from_*`` is where the member's organization relationship was when
    requested, ``to_*`` where the member will be placed once the receiver accepts.

    A member has at most one pending transfer (partial unique index); an answered or
    cancelled one is kept as it ended. ``overdue`` (pending past ``due_on``) is computed
    when read, never stored."""

    __tablename__ = "transfer"
    __table_args__ = (
        Index(
            "uq_transfer_member_pending",
            "member_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("member.id"), index=True)
    from_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id"), index=True
    )
    from_community_id: Mapped[uuid.UUID | None]
    from_district_id: Mapped[uuid.UUID | None]
    to_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), index=True)
    to_community_id: Mapped[uuid.UUID | None]
    to_district_id: Mapped[uuid.UUID | None]
    # pending | accepted | rejected | returned | cancelled
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    # The sender's reason for the transfer.
    reason: Mapped[str | None] = mapped_column(String(200))
    # The receiver's reason for rejecting or returning it.
    answer: Mapped[str | None] = mapped_column(String(200))
    requested_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    requested_by: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
