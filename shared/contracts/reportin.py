"""Report-in events (在职党员到社区报到, 双报到) published by the members service on
``<prefix>members.events``, keyed by the member id so they stay in order with the
member's own events.

An in-service member's home organization stays with the work unit's Party
organization; the report-in records the residential community (and optionally a
branch or group there) where the member serves. Both sides see the member."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from shared.contracts import register


class ReportInState(BaseModel):
    model_config = ConfigDict(extra="allow")

    report_in_id: uuid.UUID
    version: int
    member_id: uuid.UUID
    # The unit Party organization holding the member's organization relationship.
    unit_id: uuid.UUID
    community_id: uuid.UUID
    # Optional branch or group of the community the member serves with.
    organization_id: uuid.UUID | None = None
    district_id: uuid.UUID | None = None
    status: str  # "active" | "ended"
    reported_on: date
    ended_on: date | None = None
    end_reason: str | None = None
    updated_at: datetime


class ReportInChanged(BaseModel):
    model_config = ConfigDict(extra="allow")

    report_in: ReportInState


REPORT_IN_RECORDED = register("report_in.recorded", 1, "members", ReportInChanged)
REPORT_IN_ENDED = register("report_in.ended", 1, "members", ReportInChanged)

REPORT_IN_EVENT_TYPES = (REPORT_IN_RECORDED.event_type, REPORT_IN_ENDED.event_type)
