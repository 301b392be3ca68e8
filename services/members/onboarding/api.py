"""Onboarding a community (社区入驻) from a JSON or YAML description."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.members import onboarding
from services.members.onboarding import service
from services.members.onboarding.schemas import (
    OnboardingReport,
    parse_description,
)
from services.members.organizations.api import ContextDep
from shared.errors import AppError
from shared.runtime import SessionDep

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
    summary="社区入驻：按一份描述建立社区的组织树（可重复提交）",
    openapi_extra=_OPENAPI,
)
async def onboard_community(
    request: Request, session: SessionDep, ctx: ContextDep
) -> OnboardingReport:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in YAML_TYPES | JSON_TYPES:
        raise AppError(415, "unsupported_media_type", "请以 JSON 或 YAML 格式提交社区描述")
    description = parse_description(await request.body(), is_yaml=media_type in YAML_TYPES)
    return await service.onboard_community(session, description, ctx)
