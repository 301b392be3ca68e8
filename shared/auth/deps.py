"""FastAPI dependencies: who is calling, and may they do this at all.

Which rows they may touch is the query's business (``shared.auth.scope``); an id
outside the caller's grants answers 404 there, never 403, so ids don't leak."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import structlog
from fastapi import Depends, Request

from shared.auth.principal import Principal
from shared.auth.roles import Action
from shared.auth.tokens import InvalidToken, TokenVerifier
from shared.errors import AppError

API_KEY_PREFIX = "gjk_"

# Set on ``app.state.api_key_resolver`` by the service that keeps API keys (members).
ApiKeyResolver = Callable[[Request, str], Awaitable[Principal | None]]


def unauthenticated(message: str = "请先登录") -> AppError:
    return AppError(401, "unauthenticated", message)


def forbidden(message: str = "当前账号无权进行此操作") -> AppError:
    return AppError(403, "forbidden", message)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    key = request.headers.get("x-api-key", "").strip()
    return key or None


async def _authenticate(request: Request) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = _bearer(request)
    if token is None:
        raise unauthenticated()
    if token.startswith(API_KEY_PREFIX):
        resolver: ApiKeyResolver | None = getattr(request.app.state, "api_key_resolver", None)
        principal = await resolver(request, token) if resolver else None
        if principal is None:
            raise unauthenticated("API 密钥无效或已吊销")
    else:
        verifier: TokenVerifier = request.app.state.verifier
        try:
            principal = verifier.verify(token)
        except InvalidToken:
            raise unauthenticated("登录已过期或无效，请重新登录") from None
    request.state.principal = principal
    structlog.contextvars.bind_contextvars(actor=principal.actor)
    return principal


async def person(principal: Annotated[Principal, Depends(_authenticate)]) -> Principal:
    """A signed-in person (staff or member); unit systems' API keys are refused."""
    if principal.kind == "api_key":
        raise forbidden("API 密钥只能用于同步和报表接口")
    return principal


PrincipalDep = Annotated[Principal, Depends(person)]
# Routes a unit system may call with its API key (sync, its own reports) as well.
CallerDep = Annotated[Principal, Depends(_authenticate)]


def require(action: Action, *, api_keys: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency that refuses callers whose roles never allow ``action``."""

    async def check(request: Request) -> Principal:
        principal = await _authenticate(request)
        if principal.kind == "api_key" and not api_keys:
            raise forbidden("API 密钥只能用于同步和报表接口")
        if not principal.can(action):
            raise forbidden()
        return principal

    return check
