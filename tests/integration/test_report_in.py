"""Report-in (在职党员到社区报到, 双报到) through the API: recording, both sides' views,
the unit's rate and the figures, every refusal, ending, audit rows and the events."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.members.reportin.service import end_active_report_in
from shared.envelope import EventEnvelope
from shared.writes import write_context
from tests.messaging import read_topic
from tests.orgtree import Tree, build_tree, member_body
from tests.platform import RunningService, eventually

pytestmark = pytest.mark.integration

TODAY = date.today().isoformat()


@pytest.fixture
async def tree(platform: dict[str, RunningService]) -> Tree:
    return await build_tree(platform["members"].client)


async def unit_member(client: httpx.AsyncClient, tree: Tree, name: str) -> str:
    body = member_body(
        tree,
        name,
        home_organization_id=str(tree.unit),
        community_id=str(tree.community),
        categories=["in_service"],
    )
    response = await client.post("/members", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def report_in(client: httpx.AsyncClient, member_id: str, **body: Any) -> httpx.Response:
    return await client.post(f"/members/{member_id}/report-in", json=body)


async def rate(client: httpx.AsyncClient, unit: uuid.UUID) -> dict[str, Any]:
    response = await client.get(f"/units/{unit}/report-in-rate")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refusal(response: httpx.Response) -> tuple[int, str, set[str]]:
    error = response.json()["error"]
    assert error["message"]
    return response.status_code, error["code"], {d["field"] for d in error["details"]}


async def test_report_in_seen_by_both_sides_counted_in_the_rate_and_ended(
    platform: dict[str, RunningService], tree: Tree, db_conn: Callable[..., Any]
) -> None:
    members = platform["members"]
    client = members.client
    teacher = await unit_member(client, tree, "王老师")
    other = await unit_member(client, tree, "李老师")
    assert await rate(client, tree.unit) == {
        "unit_id": str(tree.unit),
        "in_service_members": 2,
        "reported_in": 0,
        "rate": 0.0,
    }

    response = await client.post(
        f"/members/{teacher}/report-in",
        json={
            "community_id": str(tree.community),
            "organization_id": str(tree.group),
            "reported_on": "2026-01-05",
        },
        headers={"X-Correlation-ID": "corr-report-in"},
    )
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert recorded["member_id"] == teacher and recorded["member_name"] == "王老师"
    assert recorded["unit_id"] == str(tree.unit) and recorded["unit_name"] == "区教育局党委"
    assert recorded["community_id"] == str(tree.community)
    assert recorded["community_name"] == "幸福社区"
    assert recorded["organization_id"] == str(tree.group)
    assert recorded["organization_name"] == "第一党小组"
    assert recorded["district_id"] == str(tree.district)
    assert recorded["status"] == "active" and recorded["version"] == 1
    assert recorded["reported_on"] == "2026-01-05" and recorded["ended_on"] is None
    assert (await client.get(f"/report-ins/{recorded['id']}")).json() == recorded
    own = (await client.get(f"/members/{teacher}/report-ins")).json()
    assert own == {"items": [recorded], "next_cursor": None}

    # The community sees the member, with the unit's name; the unit sees it too.
    community_side = await client.get(
        f"/communities/{tree.community}/report-ins", params={"status": "active"}
    )
    assert community_side.status_code == 200, community_side.text
    assert community_side.json() == {"items": [recorded], "next_cursor": None}
    other_side = await client.get(f"/communities/{tree.other_community}/report-ins")
    assert other_side.json() == {"items": [], "next_cursor": None}
    unit_side = (await client.get(f"/units/{tree.unit}/report-ins")).json()
    assert [i["id"] for i in unit_side["items"]] == [recorded["id"]]
    assert await rate(client, tree.unit) == {
        "unit_id": str(tree.unit),
        "in_service_members": 2,
        "reported_in": 1,
        "rate": 0.5,
    }
    figures = (await client.get(f"/organizations/{tree.community}/figures")).json()
    assert figures["units"] == [
        {
            "unit_id": str(tree.unit),
            "name": "区教育局党委",
            "members": 2,
            "in_service_members": 2,
            "reported_in": 1,
            "rate": 0.5,
        }
    ]
    # Members no longer live leave the rate's count.
    left = await client.post(f"/members/{other}/deactivate", json={"version": 1, "status": "left"})
    assert left.status_code == 200, left.text
    assert (await rate(client, tree.unit))["rate"] == 1.0

    ended = await client.post(f"/report-ins/{recorded['id']}/end", json={"reason": "搬离本社区"})
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended" and ended.json()["version"] == 2
    assert ended.json()["ended_on"] == TODAY and ended.json()["end_reason"] == "搬离本社区"
    active = await client.get(
        f"/communities/{tree.community}/report-ins", params={"status": "active"}
    )
    assert active.json()["items"] == []
    finished = await client.get(
        f"/communities/{tree.community}/report-ins", params={"status": "ended"}
    )
    assert [i["id"] for i in finished.json()["items"]] == [recorded["id"]]
    assert (await rate(client, tree.unit))["reported_in"] == 0

    # Ended, the member may report in again (today by default); the history keeps both.
    again = await report_in(client, teacher, community_id=str(tree.community))
    assert again.status_code == 201, again.text
    assert again.json()["reported_on"] == TODAY and again.json()["organization_id"] is None
    history = (await client.get(f"/members/{teacher}/report-ins")).json()["items"]
    assert [h["status"] for h in history] == ["active", "ended"]

    conn = await db_conn(members.settings.database_url)
    audit = await conn.fetch(
        "SELECT entity_id, action, community_id FROM audit_log"
        " WHERE entity_type = 'report_in' ORDER BY id"
    )
    assert [(str(a["entity_id"]), a["action"]) for a in audit] == [
        (recorded["id"], "recorded"),
        (recorded["id"], "ended"),
        (again.json()["id"], "recorded"),
    ]
    assert {a["community_id"] for a in audit} == {tree.community}

    # The events reach the members topic, keyed by the member, in order.
    await eventually(lambda: conn.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))
    total = await conn.fetchval("SELECT count(*) FROM outbox")
    records = await read_topic(members.settings, members.runtime.own_topic, expect=total)
    events = [
        (r.key, EventEnvelope.from_bytes(r.value))
        for r in records
        if r.value is not None and dict(r.headers)["event_type"].startswith(b"report_in.")
    ]
    assert [(k, e.type) for k, e in events] == [
        (teacher.encode(), "report_in.recorded"),
        (teacher.encode(), "report_in.ended"),
        (teacher.encode(), "report_in.recorded"),
    ]
    first, end = events[0][1], events[1][1]
    assert first.correlation_id == "corr-report-in"
    assert first.tenant.community_id == tree.community
    assert first.payload["report_in"]["report_in_id"] == recorded["id"]
    assert first.payload["report_in"]["unit_id"] == str(tree.unit)
    assert end.payload["report_in"]["status"] == "ended"
    assert end.payload["report_in"]["version"] == 2


async def test_refusals(platform: dict[str, RunningService], tree: Tree) -> None:
    client = platform["members"].client
    teacher = await unit_member(client, tree, "张老师")
    here = str(tree.community)

    resident = await client.post("/members", json=member_body(tree, "社区党员"))
    not_unit = await report_in(client, resident.json()["id"], community_id=here)
    assert refusal(not_unit) == (409, "not_unit_member", set())

    for wrong in (tree.branch, tree.unit, tree.street, uuid.uuid4()):
        wrong_kind = await report_in(client, teacher, community_id=str(wrong))
        assert refusal(wrong_kind) == (422, "validation_failed", {"community_id"})
    for outside in (tree.other_branch, tree.committee, tree.community, uuid.uuid4()):
        misplaced = await report_in(
            client, teacher, community_id=here, organization_id=str(outside)
        )
        assert refusal(misplaced) == (422, "validation_failed", {"organization_id"})

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    future = await report_in(client, teacher, community_id=here, reported_on=tomorrow)
    assert refusal(future) == (422, "validation_failed", {"reported_on"})
    unknown = await report_in(client, str(uuid.uuid4()), community_id=here)
    assert refusal(unknown) == (404, "not_found", set())
    assert (await client.get(f"/members/{uuid.uuid4()}/report-ins")).status_code == 404
    assert (await client.get(f"/report-ins/{uuid.uuid4()}")).status_code == 404
    assert (await report_in(client, teacher)).status_code == 422  # community_id missing

    first = await report_in(client, teacher, community_id=here, reported_on="2026-03-01")
    assert first.status_code == 201, first.text
    duplicate = await report_in(client, teacher, community_id=str(tree.other_community))
    assert refusal(duplicate) == (409, "report_in_active", set())
    assert duplicate.json()["error"]["data"]["report_in_id"] == first.json()["id"]

    end = f"/report-ins/{first.json()['id']}/end"
    assert refusal(await client.post(end, json={}))[2] == {"reason"}
    early = await client.post(end, json={"reason": "搬家", "ended_on": "2026-02-28"})
    assert refusal(early) == (422, "validation_failed", {"ended_on"})
    late = await client.post(end, json={"reason": "搬家", "ended_on": tomorrow})
    assert refusal(late) == (422, "validation_failed", {"ended_on"})
    assert (await client.post(end, json={"reason": "搬家", "ended_on": TODAY})).status_code == 200
    assert refusal(await client.post(end, json={"reason": "再次"}))[:2] == (409, "report_in_ended")
    missing = await client.post(f"/report-ins/{uuid.uuid4()}/end", json={"reason": "搬家"})
    assert missing.status_code == 404

    gone = await unit_member(client, tree, "已故党员")
    deceased = await client.post(
        f"/members/{gone}/deactivate", json={"version": 1, "status": "deceased"}
    )
    assert deceased.status_code == 200, deceased.text
    inactive = await report_in(client, gone, community_id=here)
    assert refusal(inactive) == (409, "member_inactive", set())

    for path in (
        f"/communities/{tree.unit}/report-ins",
        f"/communities/{uuid.uuid4()}/report-ins",
        f"/units/{tree.community}/report-ins",
        f"/units/{tree.community}/report-in-rate",
        f"/units/{uuid.uuid4()}/report-in-rate",
    ):
        assert (await client.get(path)).status_code == 404, path
    bad_status = await client.get(f"/communities/{here}/report-ins", params={"status": "gone"})
    assert bad_status.status_code == 422


async def test_end_active_report_in_for_deactivation(
    platform: dict[str, RunningService], tree: Tree, db_conn: Callable[..., Any]
) -> None:
    members = platform["members"]
    client = members.client
    teacher = await unit_member(client, tree, "赵老师")
    recorded = await report_in(client, teacher, community_id=str(tree.community))
    assert recorded.status_code == 201, recorded.text
    ctx = write_context(members.runtime.spec, members.runtime.settings, actor="test")
    async with members.runtime.sessions() as session, session.begin():
        ended = await end_active_report_in(session, uuid.UUID(teacher), " ", ctx)
        assert ended is not None and ended.status == "ended"
    async with members.runtime.sessions() as session, session.begin():
        assert await end_active_report_in(session, uuid.UUID(teacher), "再次", ctx) is None
    view = (await client.get(f"/report-ins/{recorded.json()['id']}")).json()
    assert view["status"] == "ended" and view["end_reason"] == "党员记录停用"
    assert view["ended_on"] == TODAY
    conn = await db_conn(members.settings.database_url)
    actors = await conn.fetch(
        "SELECT action, actor FROM audit_log WHERE entity_type = 'report_in' ORDER BY id"
    )
    assert [a["action"] for a in actors] == ["recorded", "ended"]
    assert actors[0]["actor"].startswith("account:")  # who recorded it through the API
    assert actors[1]["actor"] == "test"
