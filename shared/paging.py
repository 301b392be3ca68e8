"""How every list pages: ``{"items": [...], "next_cursor": ...}`` with ``limit`` (1–200,
50 by default), the next page asked for with ``cursor``; no list is ever cut short
silently — ``next_cursor`` is null only on the last page.

The cursor is the last row's sort key, opaque to callers (base64url of a JSON list), so
pages stay stable while rows are added.

A cursor comes back from the caller, who may have edited it: decoding checks every value
against the type the sort expects and the range PostgreSQL can hold, and anything else
answers 400 (a cursor is not something the person can correct field by field; they start
again from the first page).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from shared.errors import AppError, ErrorDetail

LIMIT = Query(50, ge=1, le=200, description="每页条数（1–200）")
CURSOR = Query(None, max_length=500, description="上一页返回的 next_cursor；不填为第一页")
NEXT_CURSOR = "下一页的游标；为空表示没有更多"
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


BAD_CURSOR = "分页游标无效，请从第一页重新查询"
BIGINT = 2**63

Value = str | int | date | datetime | uuid.UUID


def bad_cursor() -> AppError:
    detail = ErrorDetail(field="cursor", message=BAD_CURSOR)
    return AppError(400, "invalid_cursor", BAD_CURSOR, [detail])


def encode_cursor(*values: Value) -> str:
    plain = [v.isoformat() if isinstance(v, date) else v for v in values]
    raw = json.dumps([str(v) if isinstance(v, uuid.UUID) else v for v in plain])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, *kinds: type) -> tuple[Any, ...]:
    """The values of ``cursor``, one of each of ``kinds`` (str, int, date, datetime or
    uuid.UUID, in order), or :func:`bad_cursor`. Datetimes come back in UTC."""
    readers = [_READERS[kind] for kind in kinds]
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(readers):
            raise bad_cursor()
        return tuple(read(value) for read, value in zip(readers, values, strict=True))
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error):
        raise bad_cursor() from None


def _int(value: Any) -> int:
    if type(value) is not int or not -BIGINT <= value < BIGINT:
        raise bad_cursor()
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise bad_cursor()
    return value


def _str(value: Any) -> str:
    if "\x00" in _text(value):  # PostgreSQL's text can't hold it
        raise bad_cursor()
    return str(value)


def _uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(_text(value))


def _date(value: Any) -> date:
    return date.fromisoformat(_text(value))


def _datetime(value: Any) -> datetime:
    moment = datetime.fromisoformat(_text(value))
    if moment.tzinfo is None:
        raise bad_cursor()
    # In UTC here, where year 0 or 10000 raises OverflowError, rather than in the driver,
    # which raised it as a 500 (0001-01-01T00:00:00+05:00 falls in year 0).
    return moment.astimezone(UTC)


_READERS: dict[type, Any] = {
    int: _int,
    str: _str,
    uuid.UUID: _uuid,
    date: _date,
    datetime: _datetime,
}


def page_of(
    rows: Sequence[T], limit: int, key: Callable[[T], tuple[Any, ...]]
) -> tuple[list[T], str | None]:
    """``rows``: up to ``limit + 1`` rows in order; the extra one says there is more.
    ``key(row)``: the sort key of a row, as a tuple, for the next page's cursor."""
    if len(rows) <= limit:
        return list(rows), None
    kept = list(rows[:limit])
    return kept, encode_cursor(*key(kept[-1]))
