from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.members.accounts.passwords import password_problem
from shared.auth.roles import Role

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=3, max_length=50, pattern=r"^[\w.@-]+$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]


def _strong(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# A password someone chooses: refused with the reason when too weak.
NewPassword = Annotated[Password, AfterValidator(_strong)]


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=50)]
    password: Password


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: Role
    node_id: uuid.UUID | None
    created_by: str | None
    created_at: datetime


class AccountOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    member_id: uuid.UUID | None
    status: str
    grants: list[GrantOut]


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="访问令牌有效秒数")
    refresh_token: str
    refresh_expires_at: datetime
    account: AccountOut


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username = Field(description="登录名（字母、数字、. _ @ -）")
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)
    ] = Field(description="姓名")
    password: NewPassword = Field(description="初始密码：至少8位，含字母和数字")
    member_id: uuid.UUID | None = Field(None, description="党员本人账号：对应的党员记录")


class GrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role = Field(description="角色")
    node_id: uuid.UUID | None = Field(None, description="角色所管辖的组织（含下级）")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    old_password: Password
    new_password: NewPassword


class AccountCreateWithGrants(AccountCreate):
    grants: list[GrantCreate] = Field(
        default_factory=list, max_length=20, description="员工账号的角色（至少一个）"
    )


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_password: NewPassword = Field(description="新密码：至少8位，含字母和数字")
