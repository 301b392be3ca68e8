"""Onboarding a community (社区入驻) from a JSON or YAML description."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.members import onboarding
from services.members.onboarding import service
from services.members.onboarding.schemas import (
    OnboardingReport,
    parse_description,
)
from services.members.policy import Action
from shared.auth.deps import require
from shared.auth.principal import Principal
from shared.errors import AppError
from shared.runtime import SessionDep
from shared.uploads import off_loop
from shared.writes import WriteDep

router = APIRouter(prefix="/onboarding", tags=["社区入驻"])

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
JSON_TYPES = frozenset({"application/json", ""})

# The body is read by hand (JSON or YAML), so /docs shows the documented shape instead.
_BODY = {"type": "object", "description": onboarding.__doc__ or ""}
_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _BODY}, "application/yaml": {"schema": _BODY}},
    }
}


@router.post(
    "/communities",
    response_model=OnboardingReport,
    summary="社区入驻：在已有的区下按一份描述建立社区的组织树（可重复提交）",
    description="新建区请由平台运维使用命令行 `python -m services.members onboard`。",
    openapi_extra=_OPENAPI,
)
async def onboard_community(
    request: Request,
    principal: Annotated[Principal, Depends(require(Action.organize))],
    session: SessionDep,
    ctx: WriteDep,
) -> OnboardingReport:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in YAML_TYPES | JSON_TYPES:
        raise AppError(415, "unsupported_media_type", "请以 JSON 或 YAML 格式提交社区描述")
    # Parsed on an upload thread: a hostile body (an alias bomb, deep nesting) must not
    # hold up the service's other requests while it is refused.
    raw = await request.body()
    description = await off_loop(parse_description, raw, is_yaml=media_type in YAML_TYPES)
    return await service.onboard_community(session, description, ctx, principal)
