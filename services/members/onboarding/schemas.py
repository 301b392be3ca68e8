"""The community description onboarding reads (and how it is read), and its report."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.contracts.vocabulary import OrgKind
from shared.errors import AppError, ErrorDetail
from shared.uploads.documents import DocumentLimits, DocumentRejected, load_json, load_yaml


def _name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("名称不能为空")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlaceRef(_Strict):
    """An existing place by ``id``, or one found (or created) by ``name``."""

    id: uuid.UUID | None = None
    name: str | None = Field(None, min_length=1, max_length=100)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return None if value is None else _name(value)

    @model_validator(mode="after")
    def _one_of(self) -> PlaceRef:
        if (self.id is None) == (self.name is None):
            raise ValueError("请填写 id 或 name 其中之一")
        return self


class NodeDescription(_Strict):
    """A Party organization, center household or group, with what sits under it."""

    kind: OrgKind
    name: str = Field(min_length=1, max_length=100)
    children: list[NodeDescription] = Field(default_factory=list, max_length=500)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return _name(value)


class CommunityDescription(_Strict):
    name: str = Field(min_length=1, max_length=100)
    # Applied when the community is created; later changes go through PATCH /organizations.
    settings: dict[str, Any] = Field(default_factory=dict)
    organizations: list[NodeDescription] = Field(default_factory=list, max_length=500)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return _name(value)


class UnitDescription(_Strict):
    """A work unit's Party organization (单位党组织) in the street's (or district's) area."""

    name: str = Field(min_length=1, max_length=100)
    co_building: bool = True  # 共驻共建: linked to the onboarded community
    parent: Literal["street", "district"] = "street"
    children: list[NodeDescription] = Field(default_factory=list, max_length=500)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return _name(value)


class CommunityOnboarding(_Strict):
    district: PlaceRef
    street: PlaceRef
    community: CommunityDescription
    units: list[UnitDescription] = Field(default_factory=list, max_length=1000)


Outcome = Literal["created", "present", "linked"]


class OnboardedOrganization(BaseModel):
    path: str = Field(description="在描述中的位置，如 community.organizations[1].children[0]")
    id: uuid.UUID
    kind: OrgKind
    name: str
    outcome: Outcome = Field(
        description="created 新建；present 已存在，未改动；linked 已存在，新加入共驻共建"
    )


class OnboardingReport(BaseModel):
    district_id: uuid.UUID
    street_id: uuid.UUID
    community_id: uuid.UUID
    created: int = Field(description="新建的组织数")
    already_present: int = Field(description="已存在、未改动的组织数")
    linked: int = Field(description="已存在、新加入共驻共建的单位党组织数")
    changed: bool = Field(description="这次导入是否改动了任何数据")
    organizations: list[OnboardedOrganization]


_MESSAGES = {
    "missing": "必填项缺失",
    "extra_forbidden": "不认识的字段",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_type": "应为文字",
    "uuid_parsing": "不是有效的编号（UUID）",
    "uuid_type": "不是有效的编号（UUID）",
    "bool_parsing": "应为是/否（true/false）",
    "bool_type": "应为是/否（true/false）",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "too_long": "条目过多",
}


# A community's tree is a handful of levels deep (community → committee → general branch
# → branch → group); each level is two levels of the document (an object in a list).
LIMITS = DocumentLimits(max_depth=32, max_values=100_000)


def parse_description(raw: bytes, *, is_yaml: bool) -> CommunityOnboarding:
    """Read a JSON or YAML description; every problem is reported with its path.
    CPU-bound on a large or hostile body: the API calls it through ``off_loop``."""
    try:
        data: Any = load_yaml(raw, LIMITS) if is_yaml else load_json(raw, LIMITS)
    except DocumentRejected as exc:
        raise AppError(422, "unreadable_description", exc.message) from None
    if not isinstance(data, dict):
        raise AppError(
            422,
            "invalid_description",
            "社区描述应为一个对象，包含 district、street、community 和 units",
        )
    try:
        return CommunityOnboarding.model_validate(data)
    except ValidationError as exc:
        problems = [ErrorDetail(field=_path(e["loc"]), message=_message(e)) for e in exc.errors()]
        raise invalid_description(problems) from None


def invalid_description(problems: list[ErrorDetail]) -> AppError:
    return AppError(
        422,
        "invalid_description",
        f"社区描述有 {len(problems)} 处问题，什么都没有写入，请按提示修改后重试",
        problems,
    )


def _path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or "(整体)"


def _message(error: Any) -> str:
    if error.get("type") == "value_error":  # our validators raise Chinese messages
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return _MESSAGES.get(error.get("type", ""), "格式不正确")
