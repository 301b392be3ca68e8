"""One error body for every service: ``{"error": {code, message, details, request_id}}``.

``message`` is Chinese, written for the person who will read it; ``code`` is a stable
English identifier for programs.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.log import get_logger
from shared.validation import validation_message as validation_message

log = get_logger(__name__)


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []
    request_id: str | None = None
    # The record the error is about, where the caller needs it (e.g. the existing
    # member a duplicate registration ran into).
    data: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    error: ErrorInfo


class AppError(Exception):
    """A domain or request error with a message a person can act on."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[ErrorDetail] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.data = data
        # Extra response headers (e.g. Retry-After on 429).
        self.headers: dict[str, str] | None = None


VALIDATION_FAILED = "提交的内容有误，请按提示修改"
INTERNAL_ERROR = "系统内部错误，请稍后重试或联系运维人员"


def validation_summary(details: list[ErrorDetail]) -> str:
    """A 422's top-level message: the first reason and its field, so a client that shows
    only ``message`` still tells the person what to fix; the rest stay in ``details``."""
    if not details:
        return VALIDATION_FAILED
    first = details[0]
    text = f"{first.field}：{first.message}" if first.field else first.message
    if len(details) > 1:
        text += f"；另有 {len(details) - 1} 处需要修改"
    return text


def validation_failed(details: list[ErrorDetail]) -> AppError:
    """A 422 about the fields in ``details``, shaped like request validation errors."""
    return AppError(422, "validation_failed", validation_summary(details), details)


def invalid(field: str, message: str) -> AppError:
    """A 422 about one field, shaped like request validation errors."""
    return validation_failed([ErrorDetail(field=field, message=message)])


def stale_version() -> AppError:
    return AppError(409, "stale_version", "该记录已被他人修改，请刷新后重试")


class NotFound(AppError):
    def __init__(self, message: str = "未找到该记录") -> None:
        super().__init__(404, "not_found", message)


_STATUS_MESSAGES = {
    400: ("bad_request", "请求无效"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "未找到该资源"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "与现有记录冲突"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


def _request_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value else None


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
) -> JSONResponse:
    body = ErrorBody(
        error=ErrorInfo(
            code=code, message=message, details=details or [], request_id=_request_id(), data=data
        )
    )
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return error_response(
            exc.status, exc.code, exc.message, exc.details, headers=exc.headers, data=exc.data
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            ErrorDetail(
                field=_field(tuple(e.get("loc", ()))),
                message=validation_message(e),
            )
            for e in exc.errors()
        ]
        return error_response(422, "validation_failed", validation_summary(details), details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _STATUS_MESSAGES.get(exc.status_code, ("error", "请求失败"))
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, code, message, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Reached only by an error outside RequestContextMiddleware, which answers (and
        # logs, masked) every unexpected error of a request itself; see shared/web.py.
        log.exception("http.unhandled_error", error_type=type(exc).__name__)
        return error_response(500, "internal_error", INTERNAL_ERROR)
