from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.contracts.vocabulary import OrgKind


def _clean_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("名称不能为空")
    return value


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: OrgKind = Field(
        description="类型：district 区、street 街道、community 社区、committee 党委、"
        "general_branch 党总支、branch 党支部、group 党小组、unit 单位党组织、"
        "center_household 党员中心户"
    )
    name: str = Field(min_length=1, max_length=100, description="名称")
    parent_id: uuid.UUID | None = Field(None, description="上级组织（区以外都必填）")
    co_building_community_ids: list[uuid.UUID] = Field(
        default_factory=list, description="共驻共建的社区（仅单位党组织）"
    )
    settings: dict[str, Any] = Field(default_factory=dict, description="设置（如社区的积分默认值）")

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return _clean_name(value)


class OrganizationUpdate(BaseModel):
    """Fields left out stay as they are; ``version`` is the one the editor last saw."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="修改前读取到的版本号")
    name: str | None = Field(None, min_length=1, max_length=100, description="名称")
    co_building_community_ids: list[uuid.UUID] | None = Field(None, description="共驻共建的社区")
    settings: dict[str, Any] | None = Field(None, description="设置（整体替换）")

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return None if value is None else _clean_name(value)


class OrganizationMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="修改前读取到的版本号")
    parent_id: uuid.UUID = Field(description="新的上级组织")


class OrganizationDeactivate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="修改前读取到的版本号")


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: OrgKind
    name: str
    parent_id: uuid.UUID | None
    ancestor_ids: list[uuid.UUID]
    district_id: uuid.UUID | None
    community_id: uuid.UUID | None
    status: str
    co_building_community_ids: list[uuid.UUID]
    settings: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class OrganizationPage(BaseModel):
    items: list[OrganizationOut]
    next_cursor: str | None = Field(None, description="下一页的游标；为空表示没有更多")
