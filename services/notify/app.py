from __future__ import annotations

from fastapi import FastAPI

from services.notify.directory import DIRECTORY
from services.notify.handlers import HANDLERS
from services.notify.models import NotifyBase, messaging
from services.notify.settings import NotifySettings
from shared.app import create_service_app
from shared.runtime import Mode, ServiceSpec

SPEC = ServiceSpec(
    name="notify",
    metadata=NotifyBase.metadata,
    tables=messaging,
    routers=DIRECTORY.routers,
    handlers=HANDLERS,
    consumes=["members"],
)


def create_app(settings: NotifySettings | None = None, mode: Mode = "all") -> FastAPI:
    return create_service_app(SPEC, settings or NotifySettings(), mode, title="共建 · 通知")
