"""What callers send to record and end a report-in, and what they get back."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ReportInStatus(StrEnum):
    active = "active"  # 在报到
    ended = "ended"  # 已结束


class ReportInCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    community_id: uuid.UUID = Field(description="报到的居住社区")
    organization_id: uuid.UUID | None = Field(
        None, description="社区内编入的党支部或党小组（可不填）"
    )
    reported_on: date | None = Field(None, description="报到日期；默认今天，不能晚于今天")


class ReportInEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_on: date | None = Field(None, description="结束日期；默认今天，不能晚于今天")
    reason: Reason = Field(description="结束原因，如“搬离本社区”")


class ReportInOut(BaseModel):
    """A report-in with the names both sides read it by."""

    id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    unit_id: uuid.UUID
    unit_name: str
    community_id: uuid.UUID
    community_name: str
    organization_id: uuid.UUID | None
    organization_name: str | None
    district_id: uuid.UUID | None
    status: ReportInStatus
    reported_on: date
    ended_on: date | None
    end_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class ReportInPage(BaseModel):
    items: list[ReportInOut]
    next_cursor: str | None = Field(None, description="下一页的游标；为空表示没有更多")


class ReportInRate(BaseModel):
    unit_id: uuid.UUID
    in_service_members: int = Field(
        description="组织关系在该单位（含其下级组织）、状态正常或流动的党员人数"
    )
    reported_in: int = Field(description="其中已到社区报到（报到中）的人数")
    rate: float = Field(description="报到率 reported_in / in_service_members（0–1，无党员时为 0）")
