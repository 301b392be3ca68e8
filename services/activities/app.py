from __future__ import annotations

from fastapi import FastAPI

from services.activities.directory import DIRECTORY
from services.activities.handlers import HANDLERS
from services.activities.models import ActivitiesBase, messaging
from services.activities.settings import ActivitiesSettings
from shared.app import create_service_app
from shared.runtime import Mode, ServiceSpec

SPEC = ServiceSpec(
    name="activities",
    metadata=ActivitiesBase.metadata,
    tables=messaging,
    routers=DIRECTORY.routers,
    handlers=HANDLERS,
    consumes=["members"],
)


def create_app(settings: ActivitiesSettings | None = None, mode: Mode = "all") -> FastAPI:
    return create_service_app(
        SPEC, settings or ActivitiesSettings(), mode, title="共建 · 活动与服务岗位"
    )
