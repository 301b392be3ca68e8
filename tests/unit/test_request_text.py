"""Finding text PostgreSQL can't store (U+0000, lone surrogates) in a request's query
string and body, with the field it sits in."""

from __future__ import annotations

import json

from shared.request_text import (
    NUL_MESSAGE,
    SURROGATE_MESSAGE,
    in_body,
    in_json,
    in_multipart,
    in_pairs,
)


def test_query_strings_and_forms() -> None:
    assert in_pairs(b"q=%E5%BC%A0&limit=5", "query") is None
    assert in_pairs(b"q=a%00b&limit=5", "query") == ("q", NUL_MESSAGE)
    assert in_pairs(b"limit=5&q=a\x00b", "query") == ("q", NUL_MESSAGE)
    assert in_pairs(b"%00=1", "query") == ("query", NUL_MESSAGE)
    assert in_body(b"username=a%00&password=x", "application/x-www-form-urlencoded") == (
        "username",
        NUL_MESSAGE,
    )


def test_json_bodies_name_the_field() -> None:
    body = {"name": "张三", "specialties": ["书法", "a\x00"], "home": {"address": "x"}}
    assert in_json(json.dumps(body).encode()) == ("specialties.1", NUL_MESSAGE)
    assert in_json(json.dumps(body, ensure_ascii=False).encode()) == (
        "specialties.1",
        NUL_MESSAGE,
    )
    assert in_json(json.dumps({"members": [{"name": "ok"}, {"name": "\x00"}]}).encode()) == (
        "members.1.name",
        NUL_MESSAGE,
    )
    assert in_json(json.dumps({"na\x00me": 1}).encode()) == ("body", NUL_MESSAGE)
    assert in_json(json.dumps("\x00").encode()) == ("body", NUL_MESSAGE)
    assert in_json(b'{"name": "a\x00"}') == ("body", NUL_MESSAGE)  # raw, not even JSON


def test_json_lone_surrogates_are_refused_and_pairs_are_not() -> None:
    assert in_json(b'{"username": "\\ud800"}') == ("username", SURROGATE_MESSAGE)
    assert in_json(b'{"username": "x\\uDFFF"}') == ("username", SURROGATE_MESSAGE)
    assert in_json(b'{"name": "\\ud83d\\ude00"}') is None  # one emoji, as a pair


def test_json_that_only_looks_like_it_passes() -> None:
    assert in_json(json.dumps({"note": "\\u0000 is how JSON writes NUL"}).encode()) is None
    assert in_json(b'{"name": "\\u0000"') is None  # broken JSON: the route answers it
    deep = b"[" * 100_000 + b'"\\u0000"' + b"]" * 100_000
    assert in_json(deep) is None  # too deep to decode: the route answers it
    assert in_json(b'{"name": "\\u4e2d\\u6587"}') is None


def multipart(*parts: tuple[str, str | None, bytes]) -> tuple[bytes, str]:
    boundary = "XyZ123"
    lines = []
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        lines.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode())
        lines.append(data + b"\r\n")
    lines.append(f"--{boundary}--\r\n".encode())
    return b"".join(lines), f"multipart/form-data; boundary={boundary}"


def test_multipart_text_fields_are_checked_and_files_are_not() -> None:
    body, kind = multipart(("file", "roster.xlsx", b"PK\x03\x04\x00\x00binary"))
    assert in_multipart(body, kind) is None
    body, kind = multipart(("file", "roster.xlsx", b"PK\x00"), ("note", None, b"a\x00b"))
    assert in_multipart(body, kind) == ("note", NUL_MESSAGE)
    assert in_body(body, kind) == ("note", NUL_MESSAGE)
    assert in_multipart(b"not multipart \x00 at all", kind) is None
