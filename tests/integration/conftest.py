from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from tests.auth import OPERATIONS
from tests.platform import CATALOG, RunningService, running

pytestmark = pytest.mark.integration


@pytest.fixture
async def platform(settings_for: Callable[..., Any]) -> AsyncIterator[dict[str, RunningService]]:
    """The four services started in-process, sharing this test's topics."""
    async with AsyncExitStack() as stack:
        settings = {name: await settings_for(cls) for name, (_, cls, _) in CATALOG.items()}
        # One set of grants: the test acts as the same admin on every service.
        grants = [OPERATIONS]
        # Started together: each consumer's group join takes a moment on the broker.
        started = await asyncio.gather(
            *(stack.enter_async_context(running(n, s, grants=grants)) for n, s in settings.items())
        )
        yield dict(zip(settings, started, strict=True))
