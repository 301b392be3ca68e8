"""The audit log as ``GET /audit`` answers it."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints


class EntityType(StrEnum):
    """What an audit entry is about."""

    member = "member"  # 党员
    organization = "organization"  # 党组织
    report_in = "report_in"  # 在职党员社区报到
    transfer = "transfer"  # 组织关系转接
    account = "account"  # 账号
    grant = "grant"  # 角色授权
    api_key = "api_key"  # 单位系统 API 密钥
    personal_data = "personal_data"  # 区、街道管理员查看党员个人信息（完整）


def _printable(value: str) -> str:
    # Control characters (NUL above all) can match nothing and PostgreSQL refuses them.
    if not value.isprintable():
        raise ValueError("含有不可见字符")
    return value


# An exact value to filter on (actor, action): what the entries carry, nothing fuzzy.
Term = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_printable),
]


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str | None = Field(description="操作人，如 account:<账号编号>、api_key:<密钥编号>")
    action: str = Field(description="操作，如 registered、updated、moved、granted")
    entity_type: str = Field(description="对象类型：member、organization、transfer 等")
    entity_id: uuid.UUID
    changed: list[str] = Field(description="变更的字段")
    before: dict[str, object] | None = Field(description="变更前；新建时为空")
    after: dict[str, object] | None = Field(description="变更后")
    correlation_id: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = Field(None, description="下一页的游标；为空表示没有更多")
