"""Which member each of a unit's own external ids stands for."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from services.members.models import MembersBase


class UnitMemberLink(MembersBase):
    """A unit Party organization's external id for one of its in-service members.

    One person is one member record in the district; a unit links to it (at most once),
    whether the unit's sync created the record or found it by ID number."""

    __tablename__ = "unit_member_link"
    __table_args__ = (UniqueConstraint("unit_id", "member_id"),)

    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), primary_key=True)
    external_id: Mapped[str] = mapped_column(Text, primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("member.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Set by every sync that lists the member, changed or not.
    last_synced_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
