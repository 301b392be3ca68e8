"""The platform's services, in one place: the run command (``services.devstack``), the
test fixtures and the Compose file's check all read this list."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from shared.runtime import ServiceSpec
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class ServiceEntry:
    """A service: ``services.<name>`` with ``app.SPEC``, ``app.create_app`` and a settings
    class read from ``<env_prefix>*`` variables; ``port`` is its HTTP port by default."""

    name: str
    env_prefix: str
    port: int
    settings_class_name: str

    def _module(self, part: str) -> Any:
        return importlib.import_module(f"services.{self.name}.{part}")

    @property
    def spec(self) -> ServiceSpec:
        spec: ServiceSpec = self._module("app").SPEC
        return spec

    @property
    def create_app(self) -> Callable[..., FastAPI]:
        factory: Callable[..., FastAPI] = self._module("app").create_app
        return factory

    @property
    def settings_class(self) -> type[ServiceSettings]:
        cls: type[ServiceSettings] = getattr(self._module("settings"), self.settings_class_name)
        return cls


SERVICES = (
    ServiceEntry("members", "MEMBERS_", 8001, "MembersSettings"),
    ServiceEntry("activities", "ACTIVITIES_", 8002, "ActivitiesSettings"),
    ServiceEntry("scoring", "SCORING_", 8003, "ScoringSettings"),
    ServiceEntry("notify", "NOTIFY_", 8004, "NotifySettings"),
)
SERVICE_NAMES = tuple(s.name for s in SERVICES)


def entry(name: str) -> ServiceEntry:
    return next(s for s in SERVICES if s.name == name)
