from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from shared.envelope import EventEnvelope


def envelope(**overrides: object) -> EventEnvelope:
    values: dict[str, object] = {
        "type": "member.registered",
        "producer": "members",
        "key": "k",
        "payload": {"x": 1},
    }
    values.update(overrides)
    return EventEnvelope.model_validate(values)


def test_round_trips_through_bytes() -> None:
    event = envelope(correlation_id="c-1", actor="staff:1")
    assert EventEnvelope.from_bytes(event.to_bytes()) == event


def test_occurred_at_is_normalised_to_utc_and_naive_times_are_refused() -> None:
    beijing = timezone(timedelta(hours=8))
    event = envelope(occurred_at=datetime(2026, 11, 22, 8, 0, tzinfo=beijing))
    assert event.occurred_at == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        envelope(occurred_at=datetime(2026, 11, 22, 8, 0))


def test_headers_carry_id_type_and_correlation() -> None:
    event = envelope(event_id=uuid.UUID(int=7), correlation_id="c-9")
    headers = dict(event.headers())
    assert headers["event_id"] == str(uuid.UUID(int=7)).encode()
    assert headers["event_type"] == b"member.registered"
    assert headers["correlation_id"] == b"c-9"


def test_undecodable_bytes_raise_validation_error() -> None:
    with pytest.raises(ValidationError):
        EventEnvelope.from_bytes(b"{not json")
