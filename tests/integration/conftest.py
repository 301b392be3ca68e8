from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from tests.platform import CATALOG, RunningService, running

pytestmark = pytest.mark.integration


@pytest.fixture
async def platform(settings_for: Callable[..., Any]) -> AsyncIterator[dict[str, RunningService]]:
    """The four services started in-process, sharing this test's topics."""
    async with AsyncExitStack() as stack:
        settings = {name: await settings_for(cls) for name, (_, cls, _) in CATALOG.items()}
        # Started together: each consumer's group join takes a moment on the broker.
        started = await asyncio.gather(
            *(stack.enter_async_context(running(n, s)) for n, s in settings.items())
        )
        yield dict(zip(settings, started, strict=True))
