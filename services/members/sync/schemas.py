"""What a unit sends (a list of rows, each checked on its own) and the report it gets back."""

from __future__ import annotations

import re
import uuid
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from stdnum.cn import ric

from services.members.registry.schemas import MemberFields, Text50
from services.members.registry.validation import normalize_id_number, normalize_mobile

ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_MOBILE_SHAPE = re.compile(r"1\d{10}")
_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


@lru_cache(maxsize=8192)
def _birth_place_known(number: str) -> bool:
    """stdnum's place check depends only on the region code and the birth year, which
    ``number`` is cut down to by the caller; its database look-up is the slow part."""
    try:
        ric.get_birth_place(number + "01010000")
    except ValueError:
        return False
    return True


def fast_id_number(value: str) -> str:
    """``normalize_id_number`` with a quick path for a well-formed number: the same checks
    (check digit, birth date, region at the birth year), the region look-up cached.
    Anything else goes through the registry's own function, for its message."""
    number = value.strip().upper()
    if _ID_SHAPE.fullmatch(number) and ric.calc_check_digit(number) == number[-1]:
        try:
            date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            return normalize_id_number(value)
        if _birth_place_known(number[:10]):
            return number
    return normalize_id_number(value)


def fast_mobile(value: str) -> str:
    """``normalize_mobile`` without ``phonenumbers.parse`` for 11 plain digits starting with
    1 (checked against ``parse`` for every 6-digit prefix: same answers). Anything else,
    and every refusal, goes through the registry's own function, for its message."""
    if _MOBILE_SHAPE.fullmatch(value):
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(value))
        # number_type is UNKNOWN for an invalid number: one call answers both questions.
        if phonenumbers.number_type(number) in _MOBILE_TYPES:
            return value
    return normalize_mobile(value)


class SyncRow(MemberFields):
    """One in-service member as the unit sends it. ``deleted: true`` with only the
    ``external_id`` says the member is no longer the unit's. Fields left out keep their
    value on an existing member; an explicit ``null`` clears it."""

    external_id: ExternalId = Field(description="本单位的人员编号")
    name: Text50 | None = Field(None, description="姓名（deleted 行可不填）")
    community_id: uuid.UUID | None = Field(None, description="居住社区（必填，deleted 行除外）")
    deleted: bool = Field(False, description="true 表示该党员已不在本单位")

    # Same names as MemberFields' validators: these replace them with the quick paths.
    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        return fast_id_number(value) if value else None

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return fast_mobile(value) if value else None


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["full", "delta"] = Field(
        description="full：名单即本单位全部在职党员，名单外的将停用；delta：只处理名单中的人"
    )
    dry_run: bool = Field(False, description="只预览将发生的变化，不写入")
    allow_empty: bool = Field(False, description="full 模式下允许空名单（即停用全部党员）")
    partial: bool = Field(False, description="有错误行时仍写入无误的行")
    # Rows are checked one by one so one bad row is reported, not the whole request
    # refused; each has the shape of SyncRow.
    members: list[dict[str, Any]] = Field(description="党员名单，每行字段见 SyncRow")


class RowError(BaseModel):
    row: int = Field(description="行号（从 0 开始）")
    external_id: str | None
    field: str | None
    message: str


class SyncItem(BaseModel):
    row: int | None = None
    external_id: str
    member_id: uuid.UUID | None = None
    name: str | None = None
    changed: list[str] = []
    note: str | None = None


class SyncCounts(BaseModel):
    created: int = 0
    linked: int = 0
    updated: int = 0
    deactivated: int = 0
    unlinked: int = 0
    unchanged: int = 0
    errors: int = 0


class SyncReport(BaseModel):
    unit_id: uuid.UUID
    mode: Literal["full", "delta"]
    dry_run: bool
    applied: bool = Field(description="是否已写入（预览或因错误未写入时为 false）")
    summary: str
    counts: SyncCounts
    created: list[SyncItem] = []
    linked: list[SyncItem] = Field([], description="按身份证号关联到区内已有的党员记录")
    updated: list[SyncItem] = []
    deactivated: list[SyncItem] = []
    unlinked: list[SyncItem] = Field(
        [], description="组织关系不在本单位、仅解除与本单位关联的党员（记录本身不变）"
    )
    errors: list[RowError] = []
    warnings: list[str] = []


def summary_line(counts: SyncCounts) -> str:
    parts = [f"新增 {counts.created} 人"]
    if counts.linked:
        parts.append(f"关联已有记录 {counts.linked} 人")
    parts += [f"更新 {counts.updated} 人", f"停用 {counts.deactivated} 人"]
    if counts.unlinked:
        parts.append(f"解除关联 {counts.unlinked} 人")
    parts += [f"未变 {counts.unchanged} 人", f"错误 {counts.errors} 行"]
    return "，".join(parts)
