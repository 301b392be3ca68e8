"""NUL characters (U+0000) are refused at the edge, before any route sees the request.

PostgreSQL's text types cannot hold U+0000: a name, an address, a search term or a
username carrying one reached the database and answered 500. No field of ours has a use
for it, so :class:`shared.web.RequestContextMiddleware` refuses it in the path, the query
string and the body (JSON, form fields, the text fields of a multipart upload — an
uploaded file's own bytes are its parser's business) with a 422 naming the field.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

NUL_MESSAGE = "含有不允许的空字符（U+0000）"
_NUL = "\x00"
_JSON_ESCAPE = b"\\u0000"


def _name(name: str, fallback: str) -> str:
    return fallback if _NUL in name or not name else name


def in_pairs(encoded: bytes, fallback: str) -> str | None:
    """The first name in a query string or urlencoded form whose name or value holds a
    NUL (``%00`` or raw), ``fallback`` when the name itself is unusable."""
    if b"\x00" not in encoded and b"%00" not in encoded:
        return None
    for name, value in parse_qsl(encoded.decode("latin-1"), keep_blank_values=True):
        if _NUL in name or _NUL in value:
            return _name(name, fallback)
    return None


def in_json(body: bytes) -> str | None:
    """The path (``members.0.name``, as in validation errors) of the first string or key
    holding ``\\u0000``; ``body`` for a raw NUL byte, which no JSON text may contain."""
    if b"\x00" in body:
        return "body"
    if _JSON_ESCAPE not in body:
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or too deep: the route refuses it
        return None
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and _NUL in value:
            return ".".join(path) or "body"
        if isinstance(value, dict):
            for key, item in value.items():
                if _NUL in key:
                    return ".".join(path) or "body"
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, str(i)), item) for i, item in enumerate(value))
    return None


def in_multipart(body: bytes, content_type: str) -> str | None:
    """The name of the first text field (a part without a filename) holding a NUL."""
    if b"\x00" not in body:
        return None
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        return None
    found: list[str] = []
    part: dict[str, Any] = {}

    def on_part_begin() -> None:
        part.clear()
        part.update(headers=[], field=b"", value=b"")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part["value"] += data[start:end]

    def on_header_end() -> None:
        part["headers"].append((part["field"].lower(), part["value"]))
        part.update(field=b"", value=b"")

    def on_headers_finished() -> None:
        disposition = b"".join(v for k, v in part["headers"] if k == b"content-disposition")
        _, options = parse_options_header(disposition)
        part["file"] = b"filename" in options or b"filename*" in options
        part["name"] = options.get(b"name", b"").decode("utf-8", "replace")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if not part.get("file") and b"\x00" in data[start:end] and not found:
            found.append(_name(part.get("name", ""), "form"))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
        },
    )
    # Broken multipart: the route's own parser refuses it.
    with contextlib.suppress(FormParserError):
        parser.write(body)
        parser.finalize()
    return found[0] if found else None


def in_body(body: bytes, content_type: str) -> str | None:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        return in_multipart(body, content_type)
    if kind == "application/x-www-form-urlencoded":
        return in_pairs(body, "form")
    return in_json(body)
