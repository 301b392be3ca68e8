"""Web helpers: request context middleware, probes, metrics and typed dependencies."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from typing import Annotated

import structlog
from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import error_response
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS


class RequestContextMiddleware:
    """Binds request and correlation ids for logs, caps the body size, records metrics.

    A pure ASGI middleware (not BaseHTTPMiddleware) so contextvars bound here are seen
    by the endpoint and the body cap applies while the body streams in.
    """

    def __init__(
        self,
        app: ASGIApp,
        service: str,
        max_body_bytes: int,
        body_limits: Mapping[str, int] | None = None,
    ) -> None:
        """``body_limits``: path pattern (a regular expression matching the whole path) ->
        cap for the routes that take larger bodies; every other route has ``max_body_bytes``."""
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes
        self.body_limits = [(re.compile(p), limit) for p, limit in (body_limits or {}).items()]

    def _body_cap(self, path: str) -> int:
        for pattern, limit in self.body_limits:
            if pattern.fullmatch(path):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = _clean_id(headers.get("x-request-id")) or uuid.uuid4().hex
        correlation_id = _clean_id(headers.get("x-correlation-id")) or request_id
        structlog.contextvars.bind_contextvars(request_id=request_id, correlation_id=correlation_id)
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        started = time.perf_counter()
        status = 500

        cap = self._body_cap(scope.get("path", ""))
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            response = error_response(413, "payload_too_large", "请求内容过大")
            await response(scope, receive, send)
            self._observe(scope, 413, started)
            structlog.contextvars.unbind_contextvars("request_id", "correlation_id")
            return

        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                    (b"x-correlation-id", correlation_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, capped_receive, send_with_id)
        except BodyTooLarge:
            response = error_response(413, "payload_too_large", "请求内容过大")
            await response(scope, receive, send_with_id)
        finally:
            self._observe(scope, status, started)
            structlog.contextvars.unbind_contextvars("request_id", "correlation_id")

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        HTTP_REQUESTS.labels(self.service, method, path, str(status)).inc()
        HTTP_LATENCY.labels(self.service, method, path).observe(time.perf_counter() - started)


class BodyTooLarge(Exception):
    pass


def _clean_id(value: str | None) -> str | None:
    """Accept caller-supplied ids only if they are short and printable (they reach logs)."""
    if value and len(value) <= 128 and value.isprintable() and value.isascii():
        return value
    return None


def correlation_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("correlation_id")
    return str(value) if value else None


CorrelationIdDep = Annotated[str | None, Depends(correlation_id)]
