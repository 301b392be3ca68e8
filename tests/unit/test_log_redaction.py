"""The logs' net for personal data and secrets: every way a mobile or an ID number is
written, password hashes, tokens and keys, the values database errors quote back; in
structlog lines and in standard-library records with tracebacks and exception chains."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
import structlog

from shared.log import configure_logging, redact

MOBILE_FORMS = [
    "13912345678",
    "+8613912345678",
    "+86 139 1234 5678",
    "+86-139-1234-5678",
    "008613912345678",
    "8613912345678",
    "139 1234 5678",
    "139-1234-5678",
    "%2B8613912345678",  # as a query string carries it
    "139%201234%205678",
    "139+1234+5678",
]


@pytest.mark.parametrize("mobile", MOBILE_FORMS)
def test_every_form_of_a_mobile_is_masked(mobile: str) -> None:
    masked = redact(f"search q={mobile}&limit=5")
    assert "1234" not in masked, masked
    assert "****5678" in masked and masked.endswith("&limit=5")


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "110105 19491231 002X", "110105-19491231-002x"]
)
def test_every_form_of_an_id_number_is_masked(number: str) -> None:
    masked = redact(f"id_number: {number}.")
    assert "19491231" not in masked, masked
    assert masked.startswith("id_number: 1101**********002") and masked.endswith(".")


def test_ids_times_and_counts_stay() -> None:
    line = (
        "member=4f1c2d3e-1111-2222-3333-138000012345 at 2026-11-22T13:45:12.123456+00:00 "
        "rows=20000 took 13.912345678 s event=9a1b2c3d4e5f60718293a4b5c6d7e8f9"
    )
    assert redact(line) == line


def test_secrets_are_masked() -> None:
    argon = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
    key = "gjk_Q2VjaWxlIFBvcnRlciB3YXMgaGVyZQ"
    refresh = "gjr_aGVsbG8tdGhlcmUtZ2VuZXJhbC1rZW5vYmk"
    jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLWJ5dGVz"
    masked = redact(f"hash={argon} key={key} refresh={refresh} Authorization: Bearer {jwt}")
    for secret in (
        "c2FsdHNhbHQ",
        "aGFzaGhhc2hoYXNo",
        "Q2VjaWxl",
        "aGVsbG8",
        "eyJzdWIi",
        "c2lnbmF0",
    ):
        assert secret not in masked, masked
    assert "$argon2id$***" in masked and "gjk_***" in masked and "gjr_***" in masked


def test_values_quoted_by_database_errors_are_masked() -> None:
    text = "\n".join(
        [
            'duplicate key value violates unique constraint "uq_member_mobile"',
            "DETAIL:  Key (name, lower(address))=(陈静, 幸福路8号) already exists.",
            'new row for relation "member" violates check constraint "ck_member_name"',
            "DETAIL:  Failing row contains (4f1c2d3e-1111-2222-3333-444455556666, 陈静, 幸福路).",
            "invalid input for query argument $7: '幸福路8号幸福路8号...' (value too long)",
            "[SQL: INSERT INTO member (name, address) VALUES ($1::VARCHAR, $2::VARCHAR)]",
            "[parameters: ('陈静', '幸福路8号')]",
        ]
    )
    masked = redact(text)
    assert "陈静" not in masked and "幸福路" not in masked, masked
    assert "Key (name, lower(address))=(***) already exists." in masked
    assert "invalid input for query argument $7: *** (value too long)" in masked
    assert "[SQL: INSERT INTO member (name, address)" in masked


def fail_with_personal_data() -> None:
    try:
        raise ValueError("lookup of 13912345678 failed")
    except ValueError as exc:
        raise RuntimeError("while registering 11010519491231002X") from exc


def test_standard_library_tracebacks_and_chains_are_masked(caplog: Any) -> None:
    configure_logging("test", json=True)
    caplog.set_level(logging.ERROR)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # a handler added after configuration
    logging.getLogger("uvicorn.error").addHandler(handler)
    try:
        fail_with_personal_data()
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception(
            "Exception in ASGI application %s", "+86 139 1234 5678"
        )
    finally:
        logging.getLogger("uvicorn.error").removeHandler(handler)
    for text in (stream.getvalue(), caplog.text):
        assert "Exception in ASGI application" in text and "The above exception" in text
        assert "1234" not in text and "19491231" not in text, text


def test_structlog_tracebacks_and_values_are_masked(capsys: Any) -> None:
    configure_logging("test", json=True)
    log = structlog.get_logger("test")
    try:
        fail_with_personal_data()
    except RuntimeError:
        log.exception("http.unhandled_error", query="q=139-1234-5678", key="gjk_abcdefghijklmnop")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "http.unhandled_error"
    assert "ValueError" in line["exception"] and "RuntimeError" in line["exception"]
    rendered = json.dumps(line)
    assert "1234" not in rendered and "19491231" not in rendered and "abcdefgh" not in rendered
