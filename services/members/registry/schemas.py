from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.members.registry.validation import normalize_id_number, normalize_mobile
from shared.contracts.vocabulary import Category


class Gender(StrEnum):
    male = "male"  # 男
    female = "female"  # 女


class Education(StrEnum):
    """文化层次"""

    postgraduate = "postgraduate"  # 研究生
    bachelor = "bachelor"  # 大学本科
    college = "college"  # 大专
    secondary = "secondary"  # 中专/高中
    junior_or_below = "junior_or_below"  # 初中及以下


Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class MemberFields(BaseModel):
    """Fields a caller may set; shared by registration and update."""

    model_config = ConfigDict(extra="forbid")

    gender: Gender | None = Field(None, description="性别")
    birth_date: date | None = Field(None, description="出生日期")
    id_number: str | None = Field(None, description="18位身份证号")
    mobile: str | None = Field(None, description="手机号")
    address: Text200 | None = Field(None, description="家庭住址")
    work_unit: Text100 | None = Field(None, description="工作单位")
    post: Text50 | None = Field(None, description="职务")
    education: Education | None = Field(None, description="文化层次")
    specialties: list[Tag] | None = Field(None, max_length=20, description="专业特长")
    interests: list[Tag] | None = Field(None, max_length=20, description="兴趣爱好")
    joined_at: date | None = Field(None, description="入党日期")
    full_member_at: date | None = Field(None, description="转正日期")
    categories: list[Category] | None = Field(None, description="党员类别，可多选")
    lives_in_area: bool | None = Field(None, description="是否居住在社区辖区内")

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        return normalize_id_number(value) if value else None

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return normalize_mobile(value) if value else None

    @field_validator("categories")
    @classmethod
    def _unique(cls, value: list[Category] | None) -> list[Category] | None:
        return list(dict.fromkeys(value)) if value is not None else None


class MemberCreate(MemberFields):
    name: Text50 = Field(description="姓名")
    home_organization_id: uuid.UUID = Field(description="组织关系所在党组织")
    community_id: uuid.UUID | None = Field(
        None, description="居住社区；组织关系在单位党组织的在职党员必填"
    )


class MemberUpdate(MemberFields):
    version: int = Field(description="修改前的版本号，用于防止覆盖他人的修改")
    name: Text50 | None = None
    home_organization_id: uuid.UUID | None = Field(None, description="本社区内调整所在支部")


class MemberDeactivate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    status: Literal["transferred_out", "deceased", "left"] = Field(description="停用原因类别")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class MemberMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicate_id: uuid.UUID = Field(description="要并入本记录的重复记录")
    version: int = Field(description="本记录的版本号")
    duplicate_version: int = Field(description="重复记录的版本号")
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ] = Field(description="合并原因，如“同一人重复登记”")


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    gender: str | None
    birth_date: date | None
    id_number: str | None
    mobile: str | None
    address: str | None
    work_unit: str | None
    post: str | None
    education: str | None
    specialties: list[str]
    interests: list[str]
    joined_at: date | None
    full_member_at: date | None
    categories: list[str]
    home_organization_id: uuid.UUID | None
    district_id: uuid.UUID | None
    community_id: uuid.UUID
    branch_id: uuid.UUID | None
    lives_in_area: bool
    status: str
    merged_into_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


class HistoryEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    actor: str | None
    at: datetime
    before: dict[str, object] | None
    after: dict[str, object] | None


class HistoryPage(BaseModel):
    items: list[HistoryEntryOut]
    next_cursor: str | None = Field(None, description="下一页的游标；为空表示没有更多")


class MemberPage(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None = Field(None, description="下一页的游标；为空表示没有更多")
