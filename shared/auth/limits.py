"""Rate limits (``limits`` library, moving window) answering 429 with Retry-After.

Counters live in the process: with several API instances each counts on its own, so the
effective limit is the configured one times the number of instances (README)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from shared.errors import AppError


class TooManyRequests(AppError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(429, "too_many_requests", message, data={"retry_after": retry_after})
        self.headers = {"Retry-After": str(retry_after)}


class Limiter:
    def __init__(self, rate: str) -> None:
        self.item: RateLimitItem = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def retry_after(self, *key: str) -> int | None:
        """Seconds to wait when the window is full, else None."""
        if await self._limiter.test(self.item, *key):
            return None
        stats = await self._limiter.get_window_stats(self.item, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def hit(self, *key: str) -> bool:
        return await self._limiter.hit(self.item, *key)

    async def clear(self, *key: str) -> None:
        await self._limiter.clear(self.item, *key)
