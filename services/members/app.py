from __future__ import annotations

from fastapi import FastAPI

from services.members.figures.api import router as figures_router
from services.members.handlers import HANDLERS
from services.members.models import MembersBase, messaging
from services.members.onboarding.api import router as onboarding_router
from services.members.organizations.api import router as organizations_router
from services.members.registry.api import router as registry_router
from services.members.settings import MembersSettings
from shared.app import create_service_app
from shared.runtime import Mode, ServiceSpec

SPEC = ServiceSpec(
    name="members",
    metadata=MembersBase.metadata,
    tables=messaging,
    routers=[registry_router, organizations_router, onboarding_router, figures_router],
    handlers=HANDLERS,
    consumes=[],
)


def create_app(settings: MembersSettings | None = None, mode: Mode = "all") -> FastAPI:
    return create_service_app(SPEC, settings or MembersSettings(), mode, title="共建 · 党员与组织")
