"""Probes, metrics, request ids, the error body and the body size cap on every service."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from shared.db import create_engine
from tests.orgtree import build_tree, member_body
from tests.platform import RunningService, eventually

pytestmark = pytest.mark.integration


async def test_probes_answer_on_every_service(platform: dict[str, RunningService]) -> None:
    for service in platform.values():
        assert (await service.client.get("/livez")).json() == {"status": "ok"}
        ready = await service.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


async def test_readyz_answers_503_when_the_database_is_gone(
    platform: dict[str, RunningService],
) -> None:
    service = platform["scoring"]
    unreachable = service.runtime.engine.url.set(port=1).render_as_string(hide_password=False)
    await service.runtime.engine.dispose()
    service.runtime.engine = create_engine(unreachable, 1)  # disposed again by the fixture
    response = await service.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_ready"


async def test_metrics_show_http_events_outbox_and_dead_letters(
    platform: dict[str, RunningService],
) -> None:
    members = platform["members"]
    tree = await build_tree(members.client)
    created = await members.client.post("/members", json=member_body(tree, "指标"))
    member_id = created.json()["id"]

    async def projected() -> bool:
        return (await platform["notify"].client.get(f"/members/{member_id}")).status_code == 200

    await eventually(projected)
    text = (await members.client.get("/metrics")).text
    assert (
        'gongjian_http_requests_total{method="POST",route="/members",service="members",status="201"}'
        in text
    )
    assert 'gongjian_events_published_total{service="members",type="member.registered"}' in text
    assert 'gongjian_outbox_backlog{service="members"} 0.0' in text
    assert 'gongjian_outbox_oldest_age_seconds{service="members"}' in text
    notify = (await platform["notify"].client.get("/metrics")).text
    assert (
        'gongjian_events_consumed_total{outcome="handled",service="notify",type="member.registered"}'
        in notify
    )
    assert (
        'gongjian_event_handler_duration_seconds_count{service="notify",type="member.registered"}'
        in notify
    )
    assert 'gongjian_dead_letters_pending{service="notify"} 0.0' in notify


async def test_request_and_correlation_ids_are_echoed_or_made(
    platform: dict[str, RunningService],
) -> None:
    client = platform["activities"].client
    echoed = await client.get("/livez", headers={"X-Request-ID": "req-42"})
    assert echoed.headers["x-request-id"] == "req-42"
    assert echoed.headers["x-correlation-id"] == "req-42"
    made = await client.get("/livez", headers={"X-Request-ID": "bad\nid"})
    assert made.headers["x-request-id"] != "bad\nid" and len(made.headers["x-request-id"]) == 32


async def test_oversized_body_answers_413_with_the_common_error_body(
    platform: dict[str, RunningService],
) -> None:
    limit = platform["members"].settings.max_body_bytes
    body = b'{"name": "' + b"x" * (limit + 10) + b'"}'
    response = await platform["members"].client.post(
        "/members", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_unknown_route_and_wrong_method_use_the_common_error_body(
    platform: dict[str, RunningService],
) -> None:
    client = platform["members"].client
    missing = await client.get("/no-such-thing")
    assert missing.status_code == 404 and missing.json()["error"]["message"]
    wrong = await client.delete("/members")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


async def test_every_error_answer_carries_the_request_id(
    platform: dict[str, RunningService], db_conn: Any, capfd: Any
) -> None:
    """404, 405, 413, 422, 400 and 500 alike: the body's request_id is the one the caller
    sent (and the response header echoes), and the 500's logged traceback carries it too."""
    activities = platform["activities"]
    members = platform["members"]
    await build_tree(members.client)  # the test acts as its admin
    limit = members.settings.max_body_bytes
    # The projection gone from under the service: the read fails unexpectedly.
    conn = await db_conn(activities.settings.database_url)
    await conn.execute("ALTER TABLE member_projection RENAME TO member_projection_gone")
    requests: list[tuple[RunningService, str, str, dict[str, Any], int]] = [
        (activities, "GET", f"/members/{uuid.uuid4()}", {}, 500),
        (members, "GET", "/no-such-thing", {}, 404),
        (members, "DELETE", "/members", {}, 405),
        (members, "POST", "/members", {"content": b"x" * (limit + 1)}, 413),
        (members, "GET", "/members", {"params": {"limit": "0"}}, 422),
        (members, "GET", "/members", {"params": {"cursor": "not-a-cursor"}}, 400),
    ]
    for i, (service, method, path, kwargs, status) in enumerate(requests):
        request_id = f"req-{i}-{status}"
        response = await service.client.request(
            method, path, headers={"X-Request-ID": request_id}, **kwargs
        )
        assert response.status_code == status, (path, response.text)
        assert response.json()["error"]["request_id"] == request_id, (path, response.text)
        assert response.headers["x-request-id"] == request_id
    _, err = capfd.readouterr()
    logged = [json.loads(line) for line in err.splitlines() if "http.unhandled_error" in line]
    assert [(e["request_id"], e["route"]) for e in logged] == [
        ("req-0-500", "/members/{member_id}")
    ]
    assert "UndefinedTable" in logged[0]["exception"]
