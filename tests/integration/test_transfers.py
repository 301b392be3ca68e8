"""Transfers (组织关系转接) through the API: request, the receiver's answers, the sender's
cancellation, overdue requests, every refusal, the member moving on acceptance (history
and projections following) and the events on the members topic, in order."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.messaging import read_topic
from tests.orgtree import Tree, build_tree, create_org, member_body
from tests.platform import RunningService, eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def tree(platform: dict[str, RunningService]) -> Tree:
    return await build_tree(platform["members"].client)


@pytest.fixture
def client(platform: dict[str, RunningService]) -> httpx.AsyncClient:
    return platform["members"].client


async def register(client: httpx.AsyncClient, tree: Tree, name: str = "张三") -> Any:
    response = await client.post("/members", json=member_body(tree, name))
    assert response.status_code == 201, response.text
    return response.json()


async def request(
    client: httpx.AsyncClient, member: dict[str, Any], to: uuid.UUID, **extra: Any
) -> httpx.Response:
    body = {
        "member_id": member["id"],
        "member_version": member["version"],
        "to_organization_id": str(to),
        "reason": "搬迁至和平社区",
    }
    return await client.post("/transfers", json=body | extra)


async def requested(client: httpx.AsyncClient, member: dict[str, Any], to: uuid.UUID) -> Any:
    response = await request(client, member, to)
    assert response.status_code == 201, response.text
    return response.json()


async def decide(
    client: httpx.AsyncClient, transfer: dict[str, Any], step: str, **body: Any
) -> httpx.Response:
    body = {"version": transfer["version"]} | body
    return await client.post(f"/transfers/{transfer['id']}/{step}", json=body)


async def listed(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/transfers", params={k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["items"]]


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def fields_of(response: httpx.Response) -> set[str]:
    return {d["field"] for d in response.json()["error"]["details"]}


async def test_a_request_is_incoming_for_the_receiver_and_outgoing_for_the_sender(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    member = await register(client, tree)
    transfer = await requested(client, member, tree.other_branch)
    assert transfer["status"] == "pending" and transfer["version"] == 1
    assert transfer["member_name"] == "张三"
    assert transfer["from_organization_id"] == str(tree.branch)
    assert transfer["from_community_id"] == str(tree.community)
    assert transfer["to_community_id"] == str(tree.other_community)
    assert transfer["to_district_id"] == str(tree.district)
    assert transfer["reason"] == "搬迁至和平社区" and transfer["answer"] is None
    requested_on = date.fromisoformat(transfer["requested_on"])
    assert date.fromisoformat(transfer["due_on"]) == requested_on + timedelta(days=30)
    assert transfer["overdue"] is False

    assert await listed(client, organization_id=tree.other_community, direction="incoming") == [
        transfer["id"]
    ]
    assert await listed(client, organization_id=tree.other_branch, direction="incoming") == [
        transfer["id"]
    ]
    assert await listed(client, organization_id=tree.community, direction="outgoing") == [
        transfer["id"]
    ]
    assert await listed(client, organization_id=tree.community, direction="incoming") == []
    assert await listed(client, organization_id=tree.other_community, direction="outgoing") == []
    assert await listed(client, organization_id=tree.street) == [transfer["id"]]
    assert await listed(client, organization_id=tree.street, status="accepted") == []
    assert (await client.get(f"/transfers/{transfer['id']}")).json() == transfer
    assert error_of(await client.get(f"/transfers/{uuid.uuid4()}")) == (404, "not_found")


async def test_acceptance_moves_the_member_and_the_projection_follows(
    platform: dict[str, RunningService], client: httpx.AsyncClient, tree: Tree
) -> None:
    member = await register(client, tree)
    transfer = await requested(client, member, tree.other_branch)
    response = await decide(client, transfer, "accept")
    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted" and accepted["version"] == 2
    assert accepted["decided_at"] is not None and accepted["overdue"] is False

    moved = (await client.get(f"/members/{member['id']}")).json()
    assert moved["home_organization_id"] == str(tree.other_branch)
    assert moved["community_id"] == str(tree.other_community)
    assert moved["branch_id"] == str(tree.other_branch)
    assert moved["version"] == member["version"] + 1
    history = (await client.get(f"/members/{member['id']}/history")).json()["items"]
    assert [h["action"] for h in history] == ["registered", "transferred"]
    assert history[-1]["before"]["community_id"] == str(tree.community)
    assert history[-1]["after"]["community_id"] == str(tree.other_community)
    assert history[-1]["after"]["transfer_id"] == transfer["id"]
    assert await listed(client, organization_id=tree.other_community, status="pending") == []

    async def projected() -> Any:
        r = await platform["activities"].client.get(f"/members/{member['id']}")
        view = r.json() if r.status_code == 200 else None
        return view if view and view["version"] == moved["version"] else None

    view = await eventually(projected)
    assert view["community_id"] == str(tree.other_community)
    assert view["branch_id"] == str(tree.other_branch)


async def test_transfer_to_a_unit_keeps_the_residential_community(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    member = await register(client, tree)
    transfer = await requested(client, member, tree.unit)
    assert transfer["to_community_id"] == str(tree.community)
    assert (await decide(client, transfer, "accept")).status_code == 200
    moved = (await client.get(f"/members/{member['id']}")).json()
    assert moved["home_organization_id"] == str(tree.unit)
    assert moved["community_id"] == str(tree.community)
    assert moved["branch_id"] is None


@pytest.mark.parametrize("step", ["reject", "return"])
async def test_reject_and_return_need_an_answer_and_end_the_request(
    client: httpx.AsyncClient, tree: Tree, step: str
) -> None:
    member = await register(client, tree)
    transfer = await requested(client, member, tree.other_branch)
    for body in ({"answer": "   "}, {}):
        response = await decide(client, transfer, step, **body)
        assert response.status_code == 422 and fields_of(response) == {"answer"}
    response = await decide(client, transfer, step, answer="  材料不全，请补充介绍信  ")
    assert response.status_code == 200, response.text
    ended = response.json()
    assert ended["status"] == {"reject": "rejected", "return": "returned"}[step]
    assert ended["answer"] == "材料不全，请补充介绍信" and ended["version"] == 2
    unchanged = (await client.get(f"/members/{member['id']}")).json()
    assert unchanged["home_organization_id"] == str(tree.branch)
    assert unchanged["version"] == member["version"]
    assert error_of(await decide(client, ended, "accept")) == (409, "transfer_not_pending")
    again = await requested(client, member, tree.other_branch)  # the sender may ask again
    assert again["id"] != transfer["id"]


async def test_the_sender_cancels(client: httpx.AsyncClient, tree: Tree) -> None:
    member = await register(client, tree)
    transfer = await requested(client, member, tree.other_branch)
    response = await decide(client, transfer, "cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert error_of(await decide(client, response.json(), "accept")) == (
        409,
        "transfer_not_pending",
    )
    assert await listed(client, organization_id=tree.community, status="cancelled") == [
        transfer["id"]
    ]
    await requested(client, member, tree.other_branch)


async def test_overdue_requests_are_flagged(
    platform: dict[str, RunningService],
    client: httpx.AsyncClient,
    tree: Tree,
    db_conn: Any,
) -> None:
    late = await requested(client, await register(client, tree, "张三"), tree.other_branch)
    fresh = await requested(client, await register(client, tree, "李四"), tree.other_branch)
    conn = await db_conn(platform["members"].settings.database_url)
    yesterday = date.today() - timedelta(days=1)
    await conn.execute(
        "UPDATE transfer SET due_on = $1 WHERE id = $2", yesterday, uuid.UUID(late["id"])
    )
    today_due = date.today()  # due today is not overdue yet
    await conn.execute(
        "UPDATE transfer SET due_on = $1 WHERE id = $2", today_due, uuid.UUID(fresh["id"])
    )
    org = tree.other_community
    assert await listed(client, organization_id=org, overdue="true") == [late["id"]]
    assert await listed(client, organization_id=org, overdue="false") == [fresh["id"]]
    assert (await client.get(f"/transfers/{late['id']}")).json()["overdue"] is True
    assert (await client.get(f"/transfers/{fresh['id']}")).json()["overdue"] is False
    rejected = (await decide(client, late, "reject", answer="超期未补材料")).json()
    assert rejected["overdue"] is False  # only a pending request can be overdue
    assert await listed(client, organization_id=org, overdue="true") == []


async def test_requests_are_refused_with_a_reason(client: httpx.AsyncClient, tree: Tree) -> None:
    member = await register(client, tree)
    stale = await request(client, member | {"version": member["version"] + 1}, tree.other_branch)
    assert error_of(stale) == (409, "stale_version")
    unknown = await request(client, member | {"id": str(uuid.uuid4())}, tree.other_branch)
    assert error_of(unknown) == (404, "not_found")
    here = await request(client, member, tree.branch)
    assert error_of(here) == (422, "validation_failed") and fields_of(here) == {
        "to_organization_id"
    }
    closed = await create_org(client, "branch", "待撤销党支部", tree.committee)
    version = (await client.get(f"/organizations/{closed}")).json()["version"]
    response = await client.post(f"/organizations/{closed}/deactivate", json={"version": version})
    assert response.status_code == 200, response.text
    for target in (closed, tree.community, tree.street, uuid.uuid4()):
        refused = await request(client, member, target)
        assert error_of(refused) == (422, "validation_failed"), (target, refused.text)
        assert fields_of(refused) == {"to_organization_id"}
        assert refused.json()["error"]["details"][0]["message"]

    pending = await requested(client, member, tree.other_branch)
    twice = await request(client, member, tree.unit)
    assert error_of(twice) == (409, "transfer_pending")
    assert twice.json()["error"]["data"]["transfer_id"] == pending["id"]

    other = await register(client, tree, "李四")
    response = await client.post(
        f"/members/{other['id']}/deactivate",
        json={"version": other["version"], "status": "deceased"},
    )
    assert response.status_code == 200, response.text
    gone = await request(client, response.json(), tree.other_branch)
    assert error_of(gone) == (409, "member_inactive")


async def test_answers_are_refused_when_stale_or_when_things_changed(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    member = await register(client, tree)
    transfer = await requested(client, member, tree.other_branch)
    for step, body in (("accept", {}), ("reject", {"answer": "不同意"}), ("cancel", {})):
        response = await decide(client, transfer | {"version": 7}, step, **body)
        assert error_of(response) == (409, "stale_version")
    missing = await decide(client, transfer | {"id": str(uuid.uuid4())}, "accept")
    assert error_of(missing) == (404, "not_found")

    # The member was deactivated after the request: the receiver can no longer accept.
    response = await client.post(
        f"/members/{member['id']}/deactivate",
        json={"version": member["version"], "status": "deceased"},
    )
    assert response.status_code == 200, response.text
    assert error_of(await decide(client, transfer, "accept")) == (409, "member_inactive")
    assert (await client.get(f"/transfers/{transfer['id']}")).json()["status"] == "pending"
    assert (await decide(client, transfer, "return", answer="该党员已故")).status_code == 200

    # The receiving organization was closed after the request.
    other = await register(client, tree, "李四")
    target = await create_org(client, "branch", "新建党支部", tree.other_community)
    transfer = await requested(client, other, target)
    version = (await client.get(f"/organizations/{target}")).json()["version"]
    response = await client.post(f"/organizations/{target}/deactivate", json={"version": version})
    assert response.status_code == 200, response.text
    assert error_of(await decide(client, transfer, "accept")) == (409, "target_inactive")
    unchanged = (await client.get(f"/members/{other['id']}")).json()
    assert unchanged["version"] == other["version"]


async def test_listing_pages_with_a_cursor(client: httpx.AsyncClient, tree: Tree) -> None:
    ids = []
    for name in ("甲", "乙", "丙"):
        member = await register(client, tree, name)
        ids.append((await requested(client, member, tree.other_branch))["id"])
    params = {"organization_id": str(tree.other_community), "direction": "incoming", "limit": "2"}
    first = (await client.get("/transfers", params=params)).json()
    assert [t["id"] for t in first["items"]] == ids[:2] and first["next_cursor"]
    second = await client.get("/transfers", params=params | {"cursor": first["next_cursor"]})
    assert [t["id"] for t in second.json()["items"]] == ids[2:]
    assert second.json()["next_cursor"] is None
    broken = await client.get("/transfers", params=params | {"cursor": "not-a-cursor"})
    assert error_of(broken) == (400, "invalid_cursor")


async def test_every_step_is_audited_and_published_in_order(
    platform: dict[str, RunningService], client: httpx.AsyncClient, tree: Tree, db_conn: Any
) -> None:
    member = await register(client, tree)
    first = await requested(client, member, tree.other_branch)
    await decide(client, first, "return", answer="请补充介绍信")
    second = await requested(client, member, tree.other_branch)
    await decide(client, second, "reject", answer="不在本社区居住")
    third = await requested(client, member, tree.other_branch)
    await decide(client, third, "cancel")
    fourth = await requested(client, member, tree.other_branch)
    assert (await decide(client, fourth, "accept")).status_code == 200

    settings = platform["members"].settings

    async def published() -> list[Any] | None:
        records = await read_topic(settings, settings.topic("members"), expect=1)
        mine = [json.loads(r.value) for r in records if r.key == member["id"].encode()]
        return mine if len(mine) >= 10 else None

    mine = await eventually(published)
    assert [(e["type"], e["payload"].get("transfer", {}).get("status")) for e in mine] == [
        ("member.registered", None),
        ("transfer.requested", "pending"),
        ("transfer.returned", "returned"),
        ("transfer.requested", "pending"),
        ("transfer.rejected", "rejected"),
        ("transfer.requested", "pending"),
        ("transfer.cancelled", "cancelled"),
        ("transfer.requested", "pending"),
        ("member.transferred", None),
        ("transfer.accepted", "accepted"),
    ]
    transferred = mine[-2]["payload"]
    assert transferred["member"]["community_id"] == str(tree.other_community)
    assert transferred["changed"] == ["branch_id", "community_id", "home_organization_id"]
    assert mine[-1]["payload"]["transfer"]["version"] == 2

    conn = await db_conn(settings.database_url)
    rows = await conn.fetch(
        "SELECT entity_id, action FROM audit_log WHERE entity_type = 'transfer' ORDER BY id"
    )
    assert [(str(r["entity_id"]), r["action"]) for r in rows] == [
        (first["id"], "requested"),
        (first["id"], "returned"),
        (second["id"], "requested"),
        (second["id"], "rejected"),
        (third["id"], "requested"),
        (third["id"], "cancelled"),
        (fourth["id"], "requested"),
        (fourth["id"], "accepted"),
    ]
