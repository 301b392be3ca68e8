"""Member events published by the members service (topic ``<prefix>members.events``).

Events carry the member's full state (without contact or identity numbers, which stay
in the members service) and a per-member version; consumers keep the newest state."""

from __future__ import annotations

import uuid
from datetime import date, datetime

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
    # Added in Step 2 (optional, so v1 stays compatible):
    home_organization_id: uuid.UUID | None = None
    gender: str | None = None
    birth_date: date | None = None
    education: str | None = None
    categories: list[str] = []
    specialties: list[str] = []
    work_unit: str | None = None
    joined_at: date | None = None
    lives_in_area: bool | None = None
    # Set on a record absorbed by a merge (status "merged"): the surviving record.
    merged_into_id: uuid.UUID | None = None


class MemberRegistered(BaseModel):
    model_config = ConfigDict(extra="allow")

    member: MemberState


class MemberChanged(BaseModel):
    """Updated, moved within the community, or deactivated: the new state and the names
    of the fields that changed."""

    model_config = ConfigDict(extra="allow")

    member: MemberState
    changed: list[str] = []


class MemberMerged(BaseModel):
    """Two records turned out to be one person: ``member`` is the surviving record's new
    state, ``merged`` the absorbed record's final state (status "merged",
    ``merged_into_id`` set). Consumers upsert both and re-point what they hold under the
    absorbed id."""

    model_config = ConfigDict(extra="allow")

    member: MemberState
    merged: MemberState
    changed: list[str] = []


MEMBER_REGISTERED = register("member.registered", 1, "members", MemberRegistered)
MEMBER_UPDATED = register("member.updated", 1, "members", MemberChanged)
MEMBER_MOVED = register("member.moved", 1, "members", MemberChanged)
MEMBER_DEACTIVATED = register("member.deactivated", 1, "members", MemberChanged)
# The home organization changed by an accepted transfer (组织关系转接), possibly to
# another community or district.
MEMBER_TRANSFERRED = register("member.transferred", 1, "members", MemberChanged)
MEMBER_MERGED = register("member.merged", 1, "members", MemberMerged)

MEMBER_EVENT_TYPES = tuple(
    c.event_type
    for c in (
        MEMBER_REGISTERED,
        MEMBER_UPDATED,
        MEMBER_MOVED,
        MEMBER_DEACTIVATED,
        MEMBER_TRANSFERRED,
        MEMBER_MERGED,
    )
)


def member_states(payload: MemberRegistered | MemberChanged | MemberMerged) -> list[MemberState]:
    """Every member state an event carries: one, or two for a merge."""
    if isinstance(payload, MemberMerged):
        return [payload.member, payload.merged]
    return [payload.member]
