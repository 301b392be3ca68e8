"""``python -m services.<name> [api|worker|all|migrate]`` for every service."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from shared import migrations
from shared.runtime import Mode
from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def main(
    service: str,
    settings_factory: Callable[[], S],
    app_factory: Callable[[S, Mode], FastAPI],
) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}")
    parser.add_argument(
        "command",
        nargs="?",
        default="all",
        choices=["api", "worker", "all", "migrate"],
        help="api: HTTP only; worker: outbox relay and consumers; all: both (default); "
        "migrate: apply database migrations and exit",
    )
    args = parser.parse_args()
    settings = settings_factory()
    if args.command == "migrate":
        migrations.upgrade(service, settings.database_url)
        return
    app = app_factory(settings, args.command)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,  # the request middleware logs and counts requests itself
        timeout_graceful_shutdown=10,
    )
