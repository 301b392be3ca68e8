from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi import status as http_status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.members.apikeys import service
from services.members.policy import Action
from shared.auth.deps import require
from shared.auth.principal import Principal
from shared.paging import CURSOR, LIMIT, Page
from shared.runtime import SessionDep
from shared.writes import WriteDep

router = APIRouter(prefix="/units/{unit_id}/api-keys", tags=["单位 API 密钥"])
KeyManagerDep = Annotated[Principal, Depends(require(Action.manage_keys))]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] = (
        Field(description="用途，如“人事系统同步”")
    )


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_id: uuid.UUID
    name: str
    prefix: str = Field(description="密钥开头几位，用于辨认")
    created_by: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="完整密钥：只显示这一次，请立即妥善保存")


@router.post(
    "",
    status_code=http_status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    summary="创建 API 密钥（只显示一次）",
)
async def create_key(
    unit_id: uuid.UUID,
    body: ApiKeyCreate,
    principal: KeyManagerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> ApiKeyCreated:
    unit = await service.unit_for_keys(session, principal, unit_id)
    key, secret = await service.create_key(session, principal, unit, body.name, ctx)
    return ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(key).model_dump(), "key": secret}
    )


@router.get("", response_model=Page[ApiKeyOut], summary="单位的 API 密钥")
async def list_keys(
    unit_id: uuid.UUID,
    principal: KeyManagerDep,
    session: SessionDep,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> Page[ApiKeyOut]:
    unit = await service.unit_for_keys(session, principal, unit_id)
    keys, next_cursor = await service.list_keys(session, unit, cursor, limit)
    return Page(items=[ApiKeyOut.model_validate(k) for k in keys], next_cursor=next_cursor)


@router.post("/{key_id}/revoke", response_model=ApiKeyOut, summary="吊销 API 密钥")
async def revoke_key(
    unit_id: uuid.UUID,
    key_id: uuid.UUID,
    principal: KeyManagerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> ApiKeyOut:
    unit = await service.unit_for_keys(session, principal, unit_id)
    key = await service.revoke_key(session, principal, unit, key_id, ctx)
    return ApiKeyOut.model_validate(key)
