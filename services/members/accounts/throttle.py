"""Sign-in throttling: after repeated failures for one username (or from one address),
sign-in answers 429 with Retry-After until the window has passed.

The counters are in the members database (``shared/auth/limits.py``), so every API
instance sees the same failures. Each attempt counts as a failure before the password is
checked, in a transaction of its own: concurrent attempts cannot all slip past a check
made before any of them failed, and the count stands although the failed request's own
transaction rolls back. A successful sign-in then clears the username's failures and
takes back its hit on the address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth.limits import Limiter, TooManyRequests


@dataclass(frozen=True)
class SignInAttempt:
    username: str
    client: str
    client_hit: datetime


class SignInThrottle:
    def __init__(self, per_username: str, per_client: str, *, table: Table, secret: bytes) -> None:
        self.by_username = Limiter(per_username, scope="sign_in_user", table=table, secret=secret)
        self.by_client = Limiter(per_client, scope="sign_in_client", table=table, secret=secret)

    async def attempt(self, engine: AsyncEngine, username: str, client: str) -> SignInAttempt:
        """Count the attempt as a failure on both counters, or raise 429 counting none."""
        async with engine.connect() as conn:
            async with conn.begin() as transaction:
                user_hit = await self.by_username.hit(conn, username)
                client_hit = user_hit and await self.by_client.hit(conn, client)
                if client_hit:
                    return SignInAttempt(username, client, client_hit)
                await transaction.rollback()
            waits = [
                await self.by_username.retry_after(conn, username),
                await self.by_client.retry_after(conn, client),
            ]
        wait = max((w for w in waits if w is not None), default=1)  # freed meanwhile: 1
        raise TooManyRequests(f"登录失败次数过多，请 {wait} 秒后再试", wait)

    async def succeeded(self, engine: AsyncEngine, attempt: SignInAttempt) -> None:
        async with engine.begin() as conn:
            await self.by_username.clear(conn, attempt.username)
            await self.by_client.give_back(conn, attempt.client_hit, attempt.client)
