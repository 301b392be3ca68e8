from __future__ import annotations

from fastapi import FastAPI

from services.members.figures.api import router as figures_router
from services.members.handlers import HANDLERS
from services.members.models import MembersBase, messaging
from services.members.onboarding.api import router as onboarding_router
from services.members.organizations.api import router as organizations_router
from services.members.registry.api import router as registry_router
from services.members.roster.api import ROSTER_IMPORT_PATH
from services.members.roster.api import router as roster_router
from services.members.settings import MembersSettings
from services.members.sync.api import SYNC_PATH
from services.members.sync.api import router as sync_router
from shared.app import create_service_app
from shared.runtime import Mode, ServiceSpec

SPEC = ServiceSpec(
    name="members",
    metadata=MembersBase.metadata,
    tables=messaging,
    routers=[
        registry_router,
        organizations_router,
        onboarding_router,
        figures_router,
        roster_router,
        sync_router,
    ],
    handlers=HANDLERS,
    consumes=[],
)


def create_app(settings: MembersSettings | None = None, mode: Mode = "all") -> FastAPI:
    settings = settings or MembersSettings()
    return create_service_app(
        SPEC,
        settings,
        mode,
        title="共建 · 党员与组织",
        body_limits={
            SYNC_PATH: settings.bulk_max_body_bytes,
            ROSTER_IMPORT_PATH: settings.bulk_max_body_bytes,
        },
    )
