"""What a unit sends (a list of rows, each checked on its own) and the report it gets back."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.members.registry.schemas import MemberFields, Text50

ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class SyncRow(MemberFields):
    """One in-service member as the unit sends it. ``deleted: true`` with only the
    ``external_id`` says the member is no longer the unit's. Fields left out keep their
    value on an existing member; an explicit ``null`` clears it."""

    external_id: ExternalId = Field(description="本单位的人员编号")
    name: Text50 | None = Field(None, description="姓名（deleted 行可不填）")
    community_id: uuid.UUID | None = Field(None, description="居住社区（必填，deleted 行除外）")
    deleted: bool = Field(False, description="true 表示该党员已不在本单位")


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
