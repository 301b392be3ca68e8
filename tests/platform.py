"""All four services running in the test process, on the run's real database and broker."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from services.catalog import SERVICES
from shared.auth.principal import Grant
from shared.runtime import ServiceRuntime, ServiceSpec
from shared.settings import ServiceSettings
from tests.auth import OPERATIONS, GrantsAuth

ROOT = Path(__file__).resolve().parents[1]

# name -> (spec, settings class, app factory), from the one list of services.
CATALOG: dict[str, tuple[ServiceSpec, type[ServiceSettings], Callable[..., FastAPI]]] = {
    s.name: (s.spec, s.settings_class, s.create_app) for s in SERVICES
}


class ServiceClient(httpx.AsyncClient):
    """The test's client of one service. It acts with ``grants`` (operations, plus an
    admin grant on every district the test creates); pass ``headers=`` to act as
    someone else."""

    grants: list[Grant]
    service: RunningService


@dataclass
class RunningService:
    name: str
    settings: ServiceSettings
    runtime: ServiceRuntime
    app: FastAPI
    client: ServiceClient


@asynccontextmanager
async def running(
    name: str,
    settings: ServiceSettings,
    *,
    worker: bool = True,
    grants: list[Grant] | None = None,
) -> AsyncIterator[RunningService]:
    """``grants``: share one list between services so they all act as the same admin."""
    spec, _, app_factory = CATALOG[name]
    app = app_factory(settings, "all")
    runtime = ServiceRuntime(spec, settings)
    app.state.runtime = runtime  # the lifespan is not run under ASGITransport
    await runtime.start("all" if worker else "api")
    transport = httpx.ASGITransport(app=app)
    grants = grants if grants is not None else [OPERATIONS]
    auth = GrantsAuth(grants)
    async with ServiceClient(transport=transport, base_url=f"http://{name}", auth=auth) as client:
        client.grants = grants
        service = RunningService(name, settings, runtime, app, client)
        client.service = service
        try:
            yield service
        finally:
            await runtime.stop()


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, interval: float = 0.05
) -> Any:
    """Poll ``probe`` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


async def run_members_cli(
    database_url: str, *args: str, stdin: str | None = None
) -> tuple[int, str, str]:
    """``python -m services.members ARGS`` on the given database: (exit code, out, err);
    ``stdin`` is typed into it (a password, say)."""
    env = {**os.environ, "MEMBERS_DATABASE_URL": database_url, "MEMBERS_LOG_JSON": "true"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.members",
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    typed = (stdin + "\n").encode() if stdin is not None else None
    out, err = await asyncio.wait_for(process.communicate(typed), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
