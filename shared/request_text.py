"""Text PostgreSQL cannot store is refused at the edge, before any route sees it.

PostgreSQL's text types hold neither U+0000 nor a lone UTF-16 surrogate (``\\ud800`` in
JSON, which ``json.loads`` lets through as a ``str``): a name, an address, a search term
or a username carrying one reached the database and answered 500. No field of ours has
a use for them, so :class:`shared.web.RequestContextMiddleware` refuses them in the path,
the query string and the body (JSON, form fields, the text fields of a multipart upload;
an uploaded file's own bytes are its parser's business) with a 422 naming the field.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

NUL_MESSAGE = "含有不允许的空字符（U+0000）"
SURROGATE_MESSAGE = "含有无效的字符（不是有效的 Unicode 文字）"
_NUL = "\x00"
# The JSON escapes that decode to what PostgreSQL refuses: U+0000 and U+D800-U+DFFF (a
# surrogate pair such as "\\ud83d\\ude00" decodes to one character and is fine).
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")

Refusal = tuple[str, str]
"""(field, message)"""


def _name(name: str, fallback: str) -> str:
    return fallback if _NUL in name or not name else name


def in_pairs(encoded: bytes, fallback: str) -> Refusal | None:
    """The first name in a query string or urlencoded form whose name or value holds a
    NUL (``%00`` or raw), ``fallback`` when the name itself is unusable."""
    if b"\x00" not in encoded and b"%00" not in encoded:
        return None
    for name, value in parse_qsl(encoded.decode("latin-1"), keep_blank_values=True):
        if _NUL in name or _NUL in value:
            return _name(name, fallback), NUL_MESSAGE
    return None


def _unstorable(text: str) -> str | None:
    if _NUL in text:
        return NUL_MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


def in_json(body: bytes) -> Refusal | None:
    """The path (``members.0.name``, as in validation errors) of the first string or key
    that PostgreSQL cannot store; ``body`` for a raw NUL byte, which no JSON text holds."""
    if b"\x00" in body:
        return "body", NUL_MESSAGE
    if not _SUSPECT_ESCAPE.search(body):
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or too deep: the route refuses it
        return None
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and (message := _unstorable(value)):
            return ".".join(path) or "body", message
        if isinstance(value, dict):
            for key, item in value.items():
                if message := _unstorable(key):
                    return ".".join(path) or "body", message
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, str(i)), item) for i, item in enumerate(value))
    return None


def in_multipart(body: bytes, content_type: str) -> Refusal | None:
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
    return (found[0], NUL_MESSAGE) if found else None


def in_body(body: bytes, content_type: str) -> Refusal | None:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        return in_multipart(body, content_type)
    if kind == "application/x-www-form-urlencoded":
        return in_pairs(body, "form")
    return in_json(body)
