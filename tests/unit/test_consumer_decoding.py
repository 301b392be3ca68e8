"""Which messages the consumer runner treats as poison, without any I/O."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord

from shared.consumer import ConsumerRunner, is_transient_infrastructure_error
from shared.envelope import EventEnvelope
from tests.messaging import member_registered


async def _noop(*_: Any) -> None:
    return None


def runner() -> ConsumerRunner:
    none: Any = None
    return ConsumerRunner(
        service="t",
        consumer_name="t",
        consumer=none,
        producer=none,
        sessions=none,
        inbox=none,
        dead_letters=none,
        dead_letter_topic="dlq",
        handlers={"member.registered": _noop},
    )


def record(value: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("topic", 0, 5, 0, 0, b"k", value, None, 0, 0, [])


def test_a_valid_event_is_decoded_with_its_payload() -> None:
    event = member_registered("张三")
    decoded = runner()._decode(record(event.to_bytes()))
    assert decoded.error is None
    assert decoded.payload is not None and decoded.payload.member.name == "张三"  # type: ignore[attr-defined]


def test_garbage_empty_unknown_version_and_invalid_payload_are_poison() -> None:
    event = member_registered()
    unknown_version = event.model_copy(update={"version": 99})
    bad_payload = EventEnvelope(
        type="member.registered", producer="members", key="k", payload={"member": {"x": 1}}
    )
    for value in (b"\x00\x01", None, unknown_version.to_bytes(), bad_payload.to_bytes()):
        assert runner()._decode(record(value)).error, value


def test_events_nobody_handles_are_ignored_not_poison() -> None:
    other = EventEnvelope(type="points.credited", producer="scoring", key="k", payload={})
    decoded = runner()._decode(record(other.to_bytes()))
    assert decoded.error is None and decoded.handler is None


def test_connection_losses_are_transient_handler_bugs_are_not() -> None:
    assert is_transient_infrastructure_error(ConnectionResetError())
    assert is_transient_infrastructure_error(TimeoutError())
    assert not is_transient_infrastructure_error(RuntimeError("bug"))
    assert not is_transient_infrastructure_error(KeyError("x"))
