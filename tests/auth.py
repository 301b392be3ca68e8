"""Access tokens for tests, signed with the development key the services accept in the
test environment — the same signer the members service uses at sign-in."""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterable
from datetime import timedelta

import httpx

from shared.auth.keys import DEV_PRIVATE_KEY
from shared.auth.principal import Grant
from shared.auth.roles import Role
from shared.auth.tokens import TokenSigner

SIGNER = TokenSigner(DEV_PRIVATE_KEY, "gongjian", timedelta(minutes=15))
OPERATIONS = Grant(Role.operations)


def token_for(grants: Iterable[Grant], member_id: uuid.UUID | None = None) -> str:
    token, _ = SIGNER.issue(
        account_id=uuid.uuid4(), name="测试账号", grants=list(grants), member_id=member_id
    )
    return token


def bearer(*grants: Grant, member_id: uuid.UUID | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(grants, member_id)}"}


class GrantsAuth(httpx.Auth):
    """Signs each request with the grants in ``grants`` at that moment, so a test that
    creates a district (as the operators do with the CLI) can act as its admin at once.
    A request that sets its own Authorization header keeps it."""

    def __init__(self, grants: list[Grant]) -> None:
        self.grants = grants

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "authorization" not in request.headers and "x-api-key" not in request.headers:
            request.headers["Authorization"] = f"Bearer {token_for(self.grants)}"
        yield request
