"""Events published by the members service (topic ``<prefix>members.events``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shared.contracts import register


class MemberState(BaseModel):
    """A member's full current state. ``version`` grows by one with every change, so a
    consumer keeps a projection row only when the incoming version is newer."""

    model_config = ConfigDict(extra="allow")

    member_id: uuid.UUID
    version: int
    name: str
    district_id: uuid.UUID | None = None
    community_id: uuid.UUID
    branch_id: uuid.UUID | None = None
    status: str
    updated_at: datetime


class MemberRegistered(BaseModel):
    model_config = ConfigDict(extra="allow")

    member: MemberState


MEMBER_REGISTERED = register("member.registered", 1, "members", MemberRegistered)
