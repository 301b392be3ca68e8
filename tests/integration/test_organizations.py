"""The organization tree through the members API, on the real database and broker."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from services.members.settings import MembersSettings
from tests.orgtree import create_district
from tests.platform import RunningService, ServiceClient, eventually, running

pytestmark = pytest.mark.integration


@pytest.fixture
async def members(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    async with running("members", await settings_for(MembersSettings), worker=False) as service:
        yield service


async def create(client: httpx.AsyncClient, kind: str, name: str, parent: Any = None, **more: Any):
    if kind == "district":  # districts are created by the operators' CLI, not the API
        assert isinstance(client, ServiceClient)
        district = await create_district(client, name)
        return (await client.get(f"/organizations/{district}")).json()
    body = {"kind": kind, "name": name, **more}
    if parent is not None:
        body["parent_id"] = parent["id"]
    response = await client.post("/organizations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def build_tree(client: httpx.AsyncClient) -> dict[str, Any]:
    """district → street → community → committee → two branches → groups, and more."""
    t: dict[str, Any] = {}
    t["district"] = await create(client, "district", "盘龙区")
    t["street"] = await create(client, "street", "拓东街道", t["district"])
    t["community"] = await create(client, "community", "桃源社区", t["street"], settings={"a": 1})
    t["committee"] = await create(client, "committee", "桃源社区党委", t["community"])
    t["branch1"] = await create(client, "branch", "第一党支部", t["committee"])
    t["branch2"] = await create(client, "branch", "离退休党员党支部", t["committee"])
    t["group1"] = await create(client, "group", "第一党小组", t["branch1"])
    t["household"] = await create(client, "center_household", "王家中心户", t["branch2"])
    return t


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def jsonb(value: str | None) -> Any:
    return None if value is None else json.loads(value)


async def outbox_events(conn: Any) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT value FROM outbox ORDER BY id")
    return [json.loads(r["value"]) for r in rows]


async def test_a_whole_tree_with_paths_and_scopes(
    members: RunningService, db_conn: Callable[..., Any]
) -> None:
    client = members.client
    t = await build_tree(client)
    unit = await create(
        client,
        "unit",
        "第一中学党总支",
        t["street"],
        co_building_community_ids=[t["community"]["id"]],
    )
    d, s, c = t["district"]["id"], t["street"]["id"], t["community"]["id"]
    group = t["group1"]
    assert group["ancestor_ids"] == [d, s, c, t["committee"]["id"], t["branch1"]["id"]]
    assert (group["district_id"], group["community_id"]) == (d, c)
    assert (t["community"]["district_id"], t["community"]["community_id"]) == (d, c)
    assert (unit["district_id"], unit["community_id"]) == (d, None)
    assert unit["co_building_community_ids"] == [c]
    assert t["community"]["settings"] == {"a": 1}
    assert (await client.get(f"/organizations/{group['id']}")).json() == group

    subtree = (await client.get("/organizations", params={"root_id": c})).json()["items"]
    assert [o["name"] for o in subtree] == [
        "桃源社区",
        "桃源社区党委",
        "离退休党员党支部",  # same depth: by name
        "第一党支部",
        "王家中心户",
        "第一党小组",
    ]
    params = {"root_id": d, "kind": "branch"}
    branches = (await client.get("/organizations", params=params)).json()["items"]
    assert {o["id"] for o in branches} == {t["branch1"]["id"], t["branch2"]["id"]}
    children = (await client.get(f"/organizations/{s}/children")).json()["items"]
    assert [o["name"] for o in children] == ["桃源社区", "第一中学党总支"]
    assert (await client.get(f"/organizations/{uuid.uuid4()}")).status_code == 404

    conn = await db_conn(members.settings.database_url)
    events = await outbox_events(conn)
    assert len(events) == 9 and {e["type"] for e in events} == {"organization.created"}
    first = events[0]
    assert first["key"] == d and first["producer"] == "members"
    assert first["payload"]["organization"]["version"] == 1
    last = events[-1]
    assert last["tenant"] == {"district_id": d, "community_id": None}
    audit = await conn.fetch(
        "SELECT entity_id, action, before, after FROM audit_log WHERE entity_type = 'organization'"
    )
    assert len(audit) == 9 and {a["action"] for a in audit} == {"created"}
    assert all(jsonb(a["before"]) is None for a in audit)  # JSON null or SQL NULL
    assert {jsonb(a["after"])["id"] for a in audit} == {str(a["entity_id"]) for a in audit}


@pytest.mark.parametrize(
    ("kind", "parent_key"),
    [("group", "community"), ("street", "community"), ("community", "district"), ("street", None)],
)
async def test_placements_the_tree_refuses(
    members: RunningService, kind: str, parent_key: str | None
) -> None:
    client = members.client
    t = await build_tree(client)
    body: dict[str, Any] = {"kind": kind, "name": "新组织"}
    if parent_key:
        body["parent_id"] = t[parent_key]["id"]
    response = await client.post("/organizations", json=body)
    assert response.status_code == 422
    assert error_code(response) == "tree_rule"


async def test_unknown_or_inactive_parent_answers_404(members: RunningService) -> None:
    client = members.client
    district = await create(client, "district", "旧区")  # an admin, who may organize
    body = {"kind": "street", "name": "新街道", "parent_id": str(uuid.uuid4())}
    response = await client.post("/organizations", json=body)
    assert response.status_code == 404 and error_code(response) == "not_found"

    street = await create(client, "street", "旧街道", district)
    gone = await client.post(f"/organizations/{street['id']}/deactivate", json={"version": 1})
    assert gone.status_code == 200, gone.text
    community = {"kind": "community", "name": "新社区", "parent_id": street["id"]}
    response = await client.post("/organizations", json=community)
    assert response.status_code == 404


async def test_duplicate_active_name_under_one_parent_is_refused(members: RunningService) -> None:
    client = members.client
    t = await build_tree(client)
    body = {"kind": "branch", "name": "第一党支部", "parent_id": t["committee"]["id"]}
    response = await client.post("/organizations", json=body)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate_organization"
    assert error["details"][0]["message"] == t["branch1"]["id"]
    # Same name elsewhere, or of another kind, is another organization.
    await create(client, "branch", "第一党支部", t["community"])
    await create(client, "center_household", "第一党支部", t["branch2"])
    # A rename into an existing name is the same duplicate.
    rename = {"version": 1, "name": "第一党支部"}
    response = await client.patch(f"/organizations/{t['branch2']['id']}", json=rename)
    assert response.status_code == 409 and error_code(response) == "duplicate_organization"


async def test_move_rewrites_the_whole_subtree(
    members: RunningService, db_conn: Callable[..., Any]
) -> None:
    client = members.client
    t = await build_tree(client)
    other_community = await create(client, "community", "金星社区", t["street"])
    conn = await db_conn(members.settings.database_url)
    events_before = len(await outbox_events(conn))

    response = await client.post(
        f"/organizations/{t['committee']['id']}/move",
        json={"version": 1, "parent_id": other_community["id"]},
    )
    assert response.status_code == 200, response.text
    committee = response.json()
    new_path = [*other_community["ancestor_ids"], other_community["id"]]
    assert committee["parent_id"] == other_community["id"]
    assert committee["ancestor_ids"] == new_path
    assert committee["community_id"] == other_community["id"] and committee["version"] == 2
    grandchild = (await client.get(f"/organizations/{t['group1']['id']}")).json()
    assert grandchild["ancestor_ids"] == [*new_path, committee["id"], t["branch1"]["id"]]
    assert grandchild["community_id"] == other_community["id"]
    assert grandchild["parent_id"] == t["branch1"]["id"] and grandchild["version"] == 2
    untouched = (await client.get(f"/organizations/{t['community']['id']}")).json()
    assert untouched["version"] == 1
    old_subtree = await client.get("/organizations", params={"root_id": t["community"]["id"]})
    assert [o["id"] for o in old_subtree.json()["items"]] == [t["community"]["id"]]

    events = (await outbox_events(conn))[events_before:]
    assert [e["type"] for e in events] == ["organization.updated"] * 5
    by_key = {e["key"]: e["payload"] for e in events}
    assert set(by_key[committee["id"]]["changed"]) == {"parent_id", "ancestor_ids", "community_id"}
    assert set(by_key[grandchild["id"]]["changed"]) == {"ancestor_ids", "community_id"}
    assert by_key[grandchild["id"]]["organization"]["version"] == 2
    actions = await conn.fetch("SELECT action FROM audit_log WHERE action LIKE '%moved'")
    assert sorted(a["action"] for a in actions) == ["ancestor_moved"] * 4 + ["moved"]


async def test_moving_a_community_to_another_district_carries_its_scope(
    members: RunningService,
) -> None:
    client = members.client
    t = await build_tree(client)
    other_district = await create(client, "district", "五华区")
    other_street = await create(client, "street", "华山街道", other_district)
    response = await client.post(
        f"/organizations/{t['community']['id']}/move",
        json={"version": 1, "parent_id": other_street["id"]},
    )
    assert response.status_code == 200, response.text
    group = (await client.get(f"/organizations/{t['group1']['id']}")).json()
    assert group["district_id"] == other_district["id"]
    assert group["community_id"] == t["community"]["id"]  # its community moved with it
    assert group["ancestor_ids"][:3] == [
        other_district["id"],
        other_street["id"],
        t["community"]["id"],
    ]


async def test_moves_that_would_make_a_cycle_or_break_placement(members: RunningService) -> None:
    client = members.client
    t = await build_tree(client)
    committee = t["committee"]["id"]
    for target in (t["branch1"]["id"], committee):
        response = await client.post(
            f"/organizations/{committee}/move", json={"version": 1, "parent_id": target}
        )
        assert response.status_code == 422 and error_code(response) == "tree_rule"
    response = await client.post(
        f"/organizations/{t['group1']['id']}/move",
        json={"version": 1, "parent_id": t["community"]["id"]},
    )
    assert response.status_code == 422 and error_code(response) == "tree_rule"


async def test_stale_version_is_refused_everywhere(members: RunningService) -> None:
    client = members.client
    t = await build_tree(client)
    branch = t["branch1"]["id"]
    renamed = await client.patch(f"/organizations/{branch}", json={"version": 1, "name": "一支部"})
    assert renamed.status_code == 200 and renamed.json()["version"] == 2
    assert renamed.json()["name"] == "一支部"
    for method, path, body in [
        ("PATCH", f"/organizations/{branch}", {"version": 1, "name": "又一个名字"}),
        (
            "POST",
            f"/organizations/{branch}/move",
            {"version": 1, "parent_id": t["community"]["id"]},
        ),
        ("POST", f"/organizations/{branch}/deactivate", {"version": 1}),
    ]:
        response = await client.request(method, path, json=body)
        assert response.status_code == 409 and error_code(response) == "stale_version"
    same = await client.patch(f"/organizations/{branch}", json={"version": 2, "name": "一支部"})
    assert same.json()["version"] == 2  # nothing changed: no new version


async def test_edits_are_audited_and_published(
    members: RunningService, db_conn: Callable[..., Any]
) -> None:
    client = members.client
    t = await build_tree(client)
    community = t["community"]["id"]
    response = await client.patch(
        f"/organizations/{community}", json={"version": 1, "settings": {"a": 2}}
    )
    assert response.status_code == 200 and response.json()["settings"] == {"a": 2}
    conn = await db_conn(members.settings.database_url)
    entry = await conn.fetchrow(
        "SELECT * FROM audit_log WHERE entity_id = $1 AND action = 'updated'", uuid.UUID(community)
    )
    assert jsonb(entry["before"])["settings"] == {"a": 1}
    assert jsonb(entry["after"])["settings"] == {"a": 2}
    assert jsonb(entry["after"])["version"] == 2
    last = (await outbox_events(conn))[-1]
    assert last["type"] == "organization.updated" and last["payload"]["changed"] == ["settings"]

    response = await client.patch(
        f"/organizations/{community}", json={"version": 2, "co_building_community_ids": [community]}
    )
    assert response.status_code == 422 and error_code(response) == "invalid_co_building"


async def test_deactivate_waits_for_the_children(
    members: RunningService, db_conn: Callable[..., Any]
) -> None:
    client = members.client
    t = await build_tree(client)
    branch1, group = t["branch1"]["id"], t["group1"]["id"]
    response = await client.post(f"/organizations/{branch1}/deactivate", json={"version": 1})
    assert response.status_code == 409 and error_code(response) == "has_active_children"

    assert (await client.post(f"/organizations/{group}/deactivate", json={"version": 1})).is_success
    response = await client.post(f"/organizations/{branch1}/deactivate", json={"version": 1})
    assert response.status_code == 200 and response.json()["status"] == "inactive"
    assert response.json()["version"] == 2

    params = {"root_id": t["committee"]["id"]}
    listed = (await client.get("/organizations", params=params)).json()["items"]
    assert branch1 not in {o["id"] for o in listed}
    everything = await client.get(
        "/organizations", params={"root_id": t["committee"]["id"], "include_inactive": True}
    )
    assert {branch1, group} <= {o["id"] for o in everything.json()["items"]}
    # Still readable, never deleted; no longer editable; its name is free again.
    assert (await client.get(f"/organizations/{branch1}")).status_code == 200
    again = await client.patch(f"/organizations/{branch1}", json={"version": 2, "name": "x"})
    assert again.status_code == 409 and error_code(again) == "organization_inactive"
    await create(client, "branch", "第一党支部", t["committee"])

    conn = await db_conn(members.settings.database_url)
    last = (await outbox_events(conn))[-2]
    assert last["type"] == "organization.deactivated"
    assert last["payload"]["organization"]["status"] == "inactive"


async def test_projections_follow_the_tree(platform: dict[str, RunningService]) -> None:
    client = platform["members"].client
    t = await build_tree(client)
    other = await create(client, "committee", "另一个党委", t["community"])
    moved = await client.post(
        f"/organizations/{t['branch1']['id']}/move", json={"version": 1, "parent_id": other["id"]}
    )
    assert moved.status_code == 200, moved.text
    gone = await client.post(
        f"/organizations/{t['household']['id']}/deactivate", json={"version": 1}
    )
    assert gone.status_code == 200, gone.text
    group_path = [*other["ancestor_ids"], other["id"], t["branch1"]["id"]]

    for name in ("activities", "scoring", "notify"):
        consumer = platform[name].client

        async def view(org_id: str, consumer: httpx.AsyncClient = consumer) -> Any:
            response = await consumer.get(f"/organizations/{org_id}")
            return response.json() if response.status_code == 200 else None

        async def group_moved() -> Any:
            seen = await view(t["group1"]["id"])
            return seen if seen and seen["ancestor_ids"] == group_path else None

        async def household_gone() -> Any:
            seen = await view(t["household"]["id"])
            return seen if seen and seen["status"] == "inactive" else None

        group = await eventually(group_moved)
        assert group["version"] == 2 and group["community_id"] == t["community"]["id"]
        assert (await eventually(household_gone))["version"] == 2
        community = await eventually(lambda: view(t["community"]["id"]))
        assert community["kind"] == "community" and community["name"] == "桃源社区"
        assert (await consumer.get(f"/organizations/{uuid.uuid4()}")).status_code == 404
