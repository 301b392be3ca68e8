"""Web helpers: request context middleware, probes, metrics and typed dependencies."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Mapping
from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import request_text
from shared.errors import INTERNAL_ERROR, ErrorDetail, error_response, validation_summary
from shared.log import get_logger
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = get_logger(__name__)


class RequestContextMiddleware:
    """Binds request and correlation ids for logs, caps the body size, refuses text
    PostgreSQL can't store (:mod:`shared.request_text`), answers unexpected errors, records metrics.

    A pure ASGI middleware (not BaseHTTPMiddleware) so contextvars bound here are seen
    by the endpoint and the body cap applies while the body streams in. The body is read
    here whole (under its cap) and replayed to the app, so that such text is refused before
    any route acts on the request.
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
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                    (b"x-correlation-id", correlation_id.encode()),
                ]
            await send(message)

        try:
            refusal, replay = await self._inspect(scope, receive, headers)
            if refusal is not None:
                await refusal(scope, receive, send_with_id)
                return
            await self.app(scope, replay, send_with_id)
        except ClientGone:
            return  # left before the body was complete: nothing to act on, no one to answer
        except Exception as exc:
            # Handled here, inside the request's context, rather than by Starlette's
            # ServerErrorMiddleware: that one runs outside every user middleware, after
            # this one has unbound the request id (so its 500 said ``request_id: null``),
            # and re-raises to the server, which printed the traceback unmasked.
            route = getattr(scope.get("route"), "path", None)
            log.exception(
                "http.unhandled_error",
                error_type=type(exc).__name__,
                method=scope.get("method"),
                route=route,
            )
            if not response_started:
                response = error_response(500, "internal_error", INTERNAL_ERROR)
                await response(scope, receive, send_with_id)
        finally:
            self._observe(scope, status, started)
            structlog.contextvars.unbind_contextvars("request_id", "correlation_id")

    async def _inspect(
        self, scope: Scope, receive: Receive, headers: Mapping[str, str]
    ) -> tuple[JSONResponse | None, Receive]:
        """Reads the body (up to the route's cap) and looks for text PostgreSQL can't
        store in the path, query and body: a refusal, or the ``receive`` that replays
        the body."""
        cap = self._body_cap(scope.get("path", ""))
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            return _too_large(), receive
        try:
            body = await _read_body(receive, cap)
        except BodyTooLarge:
            return _too_large(), receive
        content_type = headers.get("content-type", "")
        refusal = _unstorable_text(scope, body, content_type)
        if refusal is None and len(body) > _INLINE_SCAN:
            refusal = await asyncio.to_thread(request_text.in_body, body, content_type)
        if refusal is not None:
            detail = ErrorDetail(field=refusal[0], message=refusal[1])
            return error_response(
                422, "validation_failed", validation_summary([detail]), [detail]
            ), receive
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return None, replay

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        HTTP_REQUESTS.labels(self.service, method, path, str(status)).inc()
        HTTP_LATENCY.labels(self.service, method, path).observe(time.perf_counter() - started)


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


# Bodies above this size are scanned off the event loop (a scan of a JSON body with an
# escape to check decodes it, a multipart one with NUL bytes is parsed).
_INLINE_SCAN = 256 * 1024


def _too_large() -> JSONResponse:
    return error_response(413, "payload_too_large", "请求内容过大")


async def _read_body(receive: Receive, cap: int) -> bytes:
    """The whole body, refused past ``cap`` while it streams in."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _unstorable_text(scope: Scope, body: bytes, content_type: str) -> request_text.Refusal | None:
    """Text PostgreSQL can't store (:mod:`shared.request_text`) in the path, the query or
    a small body (the caller scans larger ones off the event loop)."""
    if "\x00" in scope.get("path", ""):
        return "path", request_text.NUL_MESSAGE
    refusal = request_text.in_pairs(scope.get("query_string", b""), "query")
    if refusal is None and len(body) <= _INLINE_SCAN:
        refusal = request_text.in_body(body, content_type)
    return refusal


def _clean_id(value: str | None) -> str | None:
    """Accept caller-supplied ids only if they are short and printable (they reach logs)."""
    if value and len(value) <= 128 and value.isprintable() and value.isascii():
        return value
    return None


def correlation_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("correlation_id")
    return str(value) if value else None


CorrelationIdDep = Annotated[str | None, Depends(correlation_id)]
