from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class TransferStatus(StrEnum):
    pending = "pending"  # 待接收
    accepted = "accepted"  # 已接收
    rejected = "rejected"  # 已拒绝
    returned = "returned"  # 已退回（请发起方修改后重新申请）
    cancelled = "cancelled"  # 发起方已撤回


class Direction(StrEnum):
    incoming = "incoming"  # 转入：目标党组织在所选组织之下
    outgoing = "outgoing"  # 转出：原党组织在所选组织之下


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID = Field(description="转接的党员")
    member_version: int = Field(ge=1, description="发起时读取到的党员记录版本号")
    to_organization_id: uuid.UUID = Field(
        description="接收的党组织（党支部、党小组或单位党组织等）"
    )
    reason: Reason | None = Field(None, description="转接原因（如搬迁、工作调动）")

    @field_validator("reason")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class TransferDecision(BaseModel):
    """Accept or cancel: only the version the decider last read."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="处理前读取到的转接申请版本号")


class TransferAnswer(TransferDecision):
    """Reject or return: the receiver says why."""

    answer: Reason = Field(description="拒绝或退回的理由（必填）")

    @field_validator("answer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value:
            raise ValueError("请填写拒绝或退回的理由")
        return value


class TransferOut(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    from_organization_id: uuid.UUID
    from_community_id: uuid.UUID | None
    from_district_id: uuid.UUID | None
    to_organization_id: uuid.UUID
    to_community_id: uuid.UUID | None
    to_district_id: uuid.UUID | None
    status: TransferStatus
    reason: str | None
    answer: str | None
    requested_on: date
    due_on: date
    overdue: bool = Field(description="待接收且已超过办理期限")
    decided_at: datetime | None
    decided_by: str | None
    requested_by: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class TransferPage(BaseModel):
    items: list[TransferOut]
    next_cursor: str | None = Field(None, description="下一页的游标；为空表示没有更多")
