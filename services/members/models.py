"""Tables the members service owns."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, new_metadata
from shared.messaging_tables import add_messaging_tables


class MembersBase(Base):
    __abstract__ = True
    metadata = new_metadata()


messaging = add_messaging_tables(MembersBase.metadata)


class Member(MembersBase):
    """A Party member (党员). Step 1 keeps what places a member in the tree."""

    __tablename__ = "member"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(50))
    district_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Per-aggregate version carried in every event; consumers keep only newer states.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
