"""Sign-in throttling: after repeated failures for one username (or from one address),
sign-in answers 429 with Retry-After until the window has passed."""

from __future__ import annotations

from shared.auth.limits import Limiter, TooManyRequests


class SignInThrottle:
    def __init__(self, per_username: str, per_client: str) -> None:
        self.by_username = Limiter(per_username)
        self.by_client = Limiter(per_client)

    async def check(self, username: str, client: str) -> None:
        wait = await self.by_username.retry_after("user", username)
        wait = wait or await self.by_client.retry_after("client", client)
        if wait is not None:
            raise TooManyRequests(f"登录失败次数过多，请 {wait} 秒后再试", wait)

    async def failed(self, username: str, client: str) -> None:
        await self.by_username.hit("user", username)
        await self.by_client.hit("client", client)

    async def succeeded(self, username: str) -> None:
        await self.by_username.clear("user", username)
