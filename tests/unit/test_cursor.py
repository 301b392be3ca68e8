"""The pagination cursor codec: what it writes it reads back, and anything that does not
decode to the sort's types is a 400, never a value the database chokes on."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from shared.errors import AppError
from shared.paging import decode_cursor, encode_cursor

ID = uuid.UUID("4f1c2d3e-1111-2222-3333-444455556666")


def raw(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


def test_round_trips() -> None:
    at = datetime(2026, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert decode_cursor(encode_cursor("张三", ID), str, uuid.UUID) == ("张三", ID)
    assert decode_cursor(encode_cursor(date(1, 1, 1), ID), date, uuid.UUID) == (date(1, 1, 1), ID)
    decoded, _ = decode_cursor(encode_cursor(at, ID), datetime, uuid.UUID)
    assert decoded == at and decoded.tzinfo == UTC
    assert decode_cursor(encode_cursor(42), int) == (42,)


@pytest.mark.parametrize(
    ("cursor", "kinds"),
    [
        (raw(5, str(ID)), (str, uuid.UUID)),  # a number where the name is
        (raw(None, str(ID)), (str, uuid.UUID)),
        (raw(["a"], str(ID)), (str, uuid.UUID)),
        (raw("a\x00b", str(ID)), (str, uuid.UUID)),
        (raw("0001-01-01T00:00:00+05:00", str(ID)), (datetime, uuid.UUID)),  # year 0 in UTC
        (raw("9999-12-31T23:59:59-05:00", str(ID)), (datetime, uuid.UUID)),  # year 10000
        (raw("2026-01-01T00:00:00", str(ID)), (datetime, uuid.UUID)),  # no zone
        (raw("2026-13-01", str(ID)), (date, uuid.UUID)),
        (raw(20260101, str(ID)), (date, uuid.UUID)),
        (raw("张三", "not-a-uuid"), (str, uuid.UUID)),
        (raw("张三", 5), (str, uuid.UUID)),
        (raw("张三"), (str, uuid.UUID)),  # too few
        (raw("张三", str(ID), 1), (str, uuid.UUID)),  # too many
        (raw(True), (int,)),
        (raw(2**70), (int,)),
        (raw(1.5), (int,)),
        (base64.urlsafe_b64encode(b'{"a": 1}').decode(), (int,)),
        (base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode(), (int,)),
        (base64.urlsafe_b64encode(b"\xff\xfe").decode(), (int,)),
        ("not-a-cursor", (int,)),
        ("!!!", (int,)),
        ("", (int,)),
    ],
)
def test_anything_else_is_a_400(cursor: str, kinds: tuple[type, ...]) -> None:
    with pytest.raises(AppError) as raised:
        decode_cursor(cursor, *kinds)
    error = raised.value
    assert (error.status, error.code) == (400, "invalid_cursor")
    assert error.message == "分页游标无效，请从第一页重新查询"
    assert [d.field for d in error.details] == ["cursor"]
