"""The FastAPI app of a service: its routers, probes, metrics, errors and lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shared.auth.keys import DEV_PUBLIC_KEY, resolve_key
from shared.auth.tokens import TokenVerifier
from shared.errors import install_error_handlers
from shared.log import configure_logging
from shared.ops import ops_router
from shared.runtime import Mode, ServiceRuntime, ServiceSpec
from shared.settings import ServiceSettings
from shared.web import RequestContextMiddleware


def create_service_app(
    spec: ServiceSpec,
    settings: ServiceSettings,
    mode: Mode = "all",
    *,
    title: str,
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """``body_limits``: path pattern -> body cap for routes allowed more than
    ``settings.max_body_bytes`` (see :class:`RequestContextMiddleware`)."""
    configure_logging(spec.name, settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(spec, settings)
        app.state.runtime = runtime
        await runtime.start(mode)
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, lifespan=lifespan)
    public_key = resolve_key(
        inline=settings.jwt_public_key,
        file=settings.jwt_public_key_file,
        environment=settings.environment,
        dev_default=DEV_PUBLIC_KEY,
        setting=f"{settings.model_config.get('env_prefix', '')}JWT_PUBLIC_KEY",
    )
    app.state.verifier = TokenVerifier(public_key, settings.jwt_issuer)
    app.state.settings = settings
    app.add_middleware(
        RequestContextMiddleware,
        service=spec.name,
        max_body_bytes=settings.max_body_bytes,
        body_limits=body_limits,
    )
    # Outermost: the client address everything else sees is the one the proxy names.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    install_error_handlers(app)
    app.include_router(ops_router)
    if mode in ("api", "all"):
        for router in spec.routers:
            app.include_router(router)
    return app
