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


def invalid(field: str, message: str) -> AppError:
    """A 422 about one field, shaped like request validation errors."""
    detail = ErrorDetail(field=field, message=message)
    return AppError(422, "validation_failed", "提交的内容有误，请按提示修改", [detail])


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

# pydantic error types mapped to Chinese messages; anything else falls back to a generic one.
_VALIDATION_MESSAGES = {
    "missing": "必填项缺失",
    "uuid_parsing": "不是有效的编号（UUID）",
    "uuid_type": "不是有效的编号（UUID）",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "json_invalid": "请求体不是有效的 JSON",
    "int_parsing": "不是有效的整数",
    "date_from_datetime_parsing": "不是有效的日期（YYYY-MM-DD）",
    "date_parsing": "不是有效的日期（YYYY-MM-DD）",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "extra_forbidden": "不允许的字段",
    "model_attributes_type": "格式不正确",
    "dict_type": "应为对象",
    "date_type": "不是有效的日期（YYYY-MM-DD）",
    "bool_parsing": "应为是/否（true/false）",
    "list_type": "应为列表",
    "too_long": "条目过多",
}


def validation_message(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "value_error":  # our own validators raise ValueError with a Chinese message
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return _VALIDATION_MESSAGES.get(kind, str(error.get("msg", "格式不正确")))


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
        return error_response(422, "validation_failed", "提交的内容有误，请按提示修改", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _STATUS_MESSAGES.get(exc.status_code, ("error", "请求失败"))
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, code, message, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled_error", error_type=type(exc).__name__)
        return error_response(500, "internal_error", "系统内部错误，请稍后重试或联系运维人员")
