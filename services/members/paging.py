"""How every list of the members service pages: ``{"items": [...], "next_cursor": ...}``
with ``limit`` (1–200, 50 by default), the next page asked for with ``cursor``; no list
is ever cut short silently — ``next_cursor`` is null only on the last page.

The cursor is the last row's sort key, opaque to callers (base64 of JSON). It decodes
only to the key's own types; anything else answers 400."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from fastapi import Query

from shared.errors import AppError, ErrorDetail

LIMIT = Query(50, ge=1, le=200, description="每页条数（1–200）")
CURSOR = Query(None, max_length=500, description="上一页返回的 next_cursor；不填为第一页")
NEXT_CURSOR = "下一页的游标；为空表示没有更多"
BAD_CURSOR = "分页游标无效，请从第一页重新查询"
MAX_BIGINT = 2**63 - 1
T = TypeVar("T")

# What a key may hold; each decodes from its JSON form and nothing else.
KeyType = type[int] | type[str] | type[uuid.UUID] | type[date] | type[datetime]


def bad_cursor() -> AppError:
    return AppError(
        400, "invalid_cursor", BAD_CURSOR, [ErrorDetail(field="cursor", message=BAD_CURSOR)]
    )


def encode_cursor(*key: Any) -> str:
    values = [v.isoformat() if isinstance(v, date) else v for v in key]
    raw = json.dumps([str(v) if isinstance(v, uuid.UUID) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, types: Sequence[KeyType]) -> tuple[Any, ...]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error):
        raise bad_cursor() from None
    if not isinstance(values, list) or len(values) != len(types):
        raise bad_cursor()
    return tuple(_value(v, t) for v, t in zip(values, types, strict=True))


def _value(value: Any, kind: KeyType) -> Any:
    # bool is an int to Python: refused like any other stranger.
    if kind is int and type(value) is int and -MAX_BIGINT <= value <= MAX_BIGINT:
        return value
    if not isinstance(value, str) or kind is int:
        raise bad_cursor()
    if kind is str:
        if "\x00" in value:
            raise bad_cursor()
        return value
    try:
        if kind is uuid.UUID:
            return uuid.UUID(value)
        if kind is datetime:
            at = datetime.fromisoformat(value)
            if at.tzinfo is None:
                raise ValueError(value)
            return at.astimezone(UTC)  # out of range (year 0 or 10000 in UTC): refused
        if kind is date and len(value) == 10:
            return date.fromisoformat(value)
    except (ValueError, OverflowError):
        pass
    raise bad_cursor()


def page_of(
    rows: Sequence[T], limit: int, key: Callable[[T], tuple[Any, ...]]
) -> tuple[list[T], str | None]:
    """``rows``: up to ``limit + 1`` rows in order; the extra one says there is more.
    ``key(row)``: the sort key of a row, as a tuple, for the next page's cursor."""
    if len(rows) <= limit:
        return list(rows), None
    kept = list(rows[:limit])
    return kept, encode_cursor(*key(kept[-1]))
