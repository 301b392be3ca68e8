"""FastAPI dependencies: who is calling, and may they do this at all.

Which rows they may touch is the query's business (``shared.auth.scope``); an id
outside the caller's grants answers 404 there, never 403, so ids don't leak."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from shared.auth.principal import Principal
from shared.auth.roles import Permission
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


async def authenticate(request: Request) -> Principal:
    """The caller, from the bearer token or API key (once per request)."""
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


# What the OpenAPI document declares, so /docs has an Authorize button and generated
# clients know how to sign in. The schemes are documentation: ``authenticate`` reads
# the headers itself (an API key may come as ``Authorization: Bearer gjk_…`` too).
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="访问令牌：在成员服务 POST /auth/token 用登录名和密码换取 access_token",
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="unitApiKey",
    description="单位系统的 API 密钥（gjk_…），只用于标明接受它的单位接口",
)
BearerToken = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]
_Key = Annotated[str | None, Security(api_key_scheme)]

# For routes that need no sign-in (probes, signing in, public pages): ``openapi_extra=OPEN``.
OPEN: dict[str, Any] = {"security": []}


async def person(request: Request, _token: BearerToken) -> Principal:
    """A signed-in person (staff or member); unit systems' API keys are refused."""
    principal = await authenticate(request)
    if principal.kind == "api_key":
        raise forbidden("API 密钥不能用于此接口，请用账号登录后访问")
    return principal


async def caller(request: Request, _token: BearerToken, _key: _Key) -> Principal:
    """A signed-in person or a unit system with its API key."""
    return await authenticate(request)


PrincipalDep = Annotated[Principal, Depends(person)]
# Routes a unit system may call with its API key (sync, its own reports) as well.
CallerDep = Annotated[Principal, Depends(caller)]


def allow(principal: Principal, action: Permission) -> Principal:
    """The principal, if any of its roles allows ``action``; 403 otherwise."""
    if not principal.can(action):
        raise forbidden()
    return principal


def require(action: Permission, *, api_keys: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency that refuses callers whose roles never allow ``action``; with
    ``api_keys`` a unit system's API key may call the route too."""
    if api_keys:

        async def check_caller(principal: CallerDep) -> Principal:
            return allow(principal, action)

        return check_caller

    async def check_person(principal: PrincipalDep) -> Principal:
        return allow(principal, action)

    return check_person
