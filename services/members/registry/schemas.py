from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50, description="姓名")
    district_id: uuid.UUID | None = Field(None, description="所属区")
    community_id: uuid.UUID = Field(description="所属社区")
    branch_id: uuid.UUID | None = Field(None, description="所在党支部（组织关系）")

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("姓名不能为空")
        return value


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    district_id: uuid.UUID | None
    community_id: uuid.UUID
    branch_id: uuid.UUID | None
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
