from __future__ import annotations

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
        services = {}
        for name, (_, settings_cls, _) in CATALOG.items():
            settings = await settings_for(settings_cls)
            services[name] = await stack.enter_async_context(running(name, settings))
        yield services
