from __future__ import annotations

from fastapi import FastAPI

from services.scoring.directory import DIRECTORY
from services.scoring.handlers import HANDLERS
from services.scoring.models import ScoringBase, messaging
from services.scoring.settings import ScoringSettings
from shared.app import create_service_app
from shared.runtime import Mode, ServiceSpec

SPEC = ServiceSpec(
    name="scoring",
    metadata=ScoringBase.metadata,
    tables=messaging,
    routers=DIRECTORY.routers,
    handlers=HANDLERS,
    consumes=["members"],
)


def create_app(settings: ScoringSettings | None = None, mode: Mode = "all") -> FastAPI:
    return create_service_app(SPEC, settings or ScoringSettings(), mode, title="共建 · 积分与考核")
