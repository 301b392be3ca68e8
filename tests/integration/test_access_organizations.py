"""Access control on the organization tree, report-ins and transfers: each caller acts
only within their grants; ids outside them answer 404, visible things they may not
change answer 403, and what they write names them as its actor."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from services.members.settings import MembersSettings
from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import bearer
from tests.orgtree import Tree, build_tree, create_org, member_body
from tests.platform import RunningService, running

pytestmark = pytest.mark.integration


@pytest.fixture
async def members(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    async with running("members", await settings_for(MembersSettings), worker=False) as service:
        yield service


@pytest.fixture
def client(members: RunningService) -> httpx.AsyncClient:
    return members.client


@pytest.fixture
async def tree(client: httpx.AsyncClient) -> Tree:
    return await build_tree(client)


def as_(role: Role, node: uuid.UUID) -> dict[str, str]:
    return bearer(Grant(role, node))


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def new_org(
    client: httpx.AsyncClient,
    kind: str,
    name: str,
    parent: uuid.UUID,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {"kind": kind, "name": name, "parent_id": str(parent), **extra}
    return await client.post("/organizations", json=body, headers=headers)


async def test_a_community_admin_organizes_only_inside_their_community(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    admin = as_(Role.community_admin, tree.community)
    created = await new_org(client, "branch", "新建党支部", tree.committee, admin)
    assert created.status_code == 201, created.text
    sibling = await new_org(client, "branch", "越界党支部", tree.other_community, admin)
    assert error_of(sibling) == (404, "not_found")
    other_district = await build_tree(client)  # another district altogether
    elsewhere = await new_org(client, "branch", "越界党支部", other_district.community, admin)
    assert error_of(elsewhere) == (404, "not_found")
    unknown = await new_org(client, "branch", "越界党支部", uuid.uuid4(), admin)
    assert error_of(unknown) == (404, "not_found")

    # Reads show only their subtree; the rest of the tree does not exist for them.
    listed = await client.get("/organizations", headers=admin)
    assert listed.status_code == 200, listed.text
    assert {o["community_id"] for o in listed.json()["items"]} == {str(tree.community)}
    assert str(tree.street) not in {o["id"] for o in listed.json()["items"]}
    for org in (tree.street, tree.other_community, tree.unit, other_district.community):
        assert (await client.get(f"/organizations/{org}", headers=admin)).status_code == 404
        children = await client.get(f"/organizations/{org}/children", headers=admin)
        assert children.status_code == 404
    by_root = await client.get(
        "/organizations", params={"root_id": str(tree.street)}, headers=admin
    )
    assert by_root.status_code == 404
    own = await client.get(f"/organizations/{tree.community}/children", headers=admin)
    assert {o["id"] for o in own.json()["items"]} == {str(tree.committee)}

    # A unit may co-build only with communities its creator can see.
    street_admin = as_(Role.street_admin, tree.street)
    unit = await new_org(
        client,
        "unit",
        "越界单位党委",
        tree.street,
        street_admin,
        co_building_community_ids=[str(other_district.community)],
    )
    assert error_of(unit) == (404, "not_found")
    assert unit.json()["error"]["details"][0]["message"] == str(other_district.community)
    unit = await new_org(
        client,
        "unit",
        "街道单位党委",
        tree.street,
        street_admin,
        co_building_community_ids=[str(tree.other_community)],
    )
    assert unit.status_code == 201, unit.text


async def test_a_branch_secretary_reads_but_may_not_organize(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    secretary = as_(Role.branch_secretary, tree.branch)
    assert (await client.get(f"/organizations/{tree.branch}", headers=secretary)).status_code == 200
    refused = await new_org(client, "group", "第二党小组", tree.branch, secretary)
    assert error_of(refused) == (403, "forbidden")
    rename = await client.patch(
        f"/organizations/{tree.group}", json={"version": 1, "name": "改名"}, headers=secretary
    )
    assert error_of(rename) == (403, "forbidden")
    above = await client.get(f"/organizations/{tree.committee}", headers=secretary)
    assert above.status_code == 404


async def test_districts_are_not_created_through_the_api(client: httpx.AsyncClient) -> None:
    await build_tree(client)  # the client is now a district admin
    response = await client.post("/organizations", json={"kind": "district", "name": "新区"})
    assert error_of(response) == (403, "forbidden")
    assert "onboard" in response.json()["error"]["message"]


async def test_a_community_admin_renames_but_never_moves_or_closes_their_community(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    community = await create_org(client, "community", "新建社区", tree.street)
    admin = as_(Role.community_admin, community)
    path = f"/organizations/{community}"
    renamed = await client.patch(
        path, json={"version": 1, "name": "新建社区（更名）"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    closed = await client.post(f"{path}/deactivate", json={"version": 2}, headers=admin)
    assert error_of(closed) == (403, "forbidden")
    moved = await client.post(
        f"{path}/move", json={"version": 2, "parent_id": str(tree.street)}, headers=admin
    )
    assert error_of(moved) == (403, "forbidden")
    # Inside it, the admin organizes freely, moves included.
    committee = await new_org(client, "committee", "新建社区党委", community, admin)
    branch = await new_org(client, "branch", "党支部", community, admin)
    move = await client.post(
        f"/organizations/{branch.json()['id']}/move",
        json={"version": 1, "parent_id": committee.json()["id"]},
        headers=admin,
    )
    assert move.status_code == 200, move.text
    # ... but never out of it.
    away = await client.post(
        f"/organizations/{branch.json()['id']}/move",
        json={"version": 2, "parent_id": str(tree.committee)},
        headers=admin,
    )
    assert error_of(away) == (404, "not_found")
    # Someone above may close the community once it is empty.
    for org in (branch.json(), committee.json()):
        version = (await client.get(f"/organizations/{org['id']}")).json()["version"]
        gone = await client.post(
            f"/organizations/{org['id']}/deactivate", json={"version": version}
        )
        assert gone.status_code == 200, gone.text
    closed = await client.post(f"{path}/deactivate", json={"version": 2})
    assert closed.status_code == 200, closed.text


async def test_report_in_recorded_by_the_unit_admin_and_read_with_the_units_key(
    members: RunningService, client: httpx.AsyncClient, tree: Tree, db_conn: Callable[..., Any]
) -> None:
    body = member_body(
        tree,
        "王老师",
        home_organization_id=str(tree.unit),
        community_id=str(tree.community),
        categories=["in_service"],
    )
    response = await client.post("/members", json=body)
    assert response.status_code == 201, response.text
    teacher = response.json()["id"]
    unit_admin = as_(Role.unit_admin, tree.unit)

    # The unit co-builds with its member's community: the unit admin may report them in
    # there, though the community is not theirs to see; any other community is unknown.
    path = f"/members/{teacher}/report-in"
    elsewhere = await client.post(
        path, json={"community_id": str(tree.other_community)}, headers=unit_admin
    )
    assert error_of(elsewhere) == (422, "validation_failed")
    recorded = await client.post(
        path, json={"community_id": str(tree.community)}, headers=unit_admin
    )
    assert recorded.status_code == 201, recorded.text
    report_in = recorded.json()["id"]
    conn = await db_conn(members.settings.database_url)
    actor = await conn.fetchval(
        "SELECT actor FROM audit_log WHERE entity_type = 'report_in' AND entity_id = $1",
        uuid.UUID(report_in),
    )
    assert actor.startswith("account:")

    # The community's admin sees it; a neighbouring community's admin does not.
    community_admin = as_(Role.community_admin, tree.community)
    seen = await client.get(f"/communities/{tree.community}/report-ins", headers=community_admin)
    assert [i["id"] for i in seen.json()["items"]] == [report_in]
    neighbour = as_(Role.community_admin, tree.other_community)
    for url in (
        f"/report-ins/{report_in}",
        f"/members/{teacher}/report-ins",
        f"/communities/{tree.community}/report-ins",
        f"/units/{tree.unit}/report-in-rate",
    ):
        assert (await client.get(url, headers=neighbour)).status_code == 404, url
    ended = await client.post(
        f"/report-ins/{report_in}/end", json={"reason": "搬家"}, headers=neighbour
    )
    assert ended.status_code == 404

    # The unit's own system reads its reports with the unit's API key, and nothing else.
    made = await client.post(f"/units/{tree.unit}/api-keys", json={"name": "人事系统"})
    assert made.status_code == 201, made.text
    key = {"Authorization": f"Bearer {made.json()['key']}"}
    rate = await client.get(f"/units/{tree.unit}/report-in-rate", headers=key)
    assert rate.status_code == 200, rate.text
    assert (rate.json()["in_service_members"], rate.json()["reported_in"]) == (1, 1)
    listing = await client.get(f"/units/{tree.unit}/report-ins", headers=key)
    assert [i["id"] for i in listing.json()["items"]] == [report_in]
    refused = await client.get(f"/communities/{tree.community}/report-ins", headers=key)
    assert error_of(refused) == (403, "forbidden")  # keys serve sync and report endpoints

    other_unit = await create_org(client, "unit", "区卫健委党委", tree.district)
    made = await client.post(f"/units/{other_unit}/api-keys", json={"name": "人事系统"})
    other_key = {"Authorization": f"Bearer {made.json()['key']}"}
    for url in (f"/units/{tree.unit}/report-in-rate", f"/units/{tree.unit}/report-ins"):
        assert (await client.get(url, headers=other_key)).status_code == 404, url
    own = await client.get(f"/units/{other_unit}/report-in-rate", headers=other_key)
    assert own.status_code == 200 and own.json()["in_service_members"] == 0


async def test_a_transfer_between_communities(client: httpx.AsyncClient, tree: Tree) -> None:
    third = await create_org(client, "community", "第三社区", tree.street)
    sender = as_(Role.community_admin, tree.community)
    receiver = as_(Role.community_admin, tree.other_community)
    outsider = as_(Role.community_admin, third)
    member = (await client.post("/members", json=member_body(tree, "张三"))).json()

    async def request(to: uuid.UUID, headers: dict[str, str]) -> httpx.Response:
        body = {
            "member_id": member["id"],
            "member_version": member["version"],
            "to_organization_id": str(to),
        }
        return await client.post("/transfers", json=body, headers=headers)

    # The receiver can't send someone else's member; the sender may name a receiving
    # organization it cannot see, and learns nothing about ids that aren't one.
    assert error_of(await request(tree.other_branch, receiver)) == (404, "not_found")
    unknown = await request(uuid.uuid4(), sender)
    not_a_home = await request(tree.other_community, sender)
    assert error_of(unknown) == error_of(not_a_home) == (422, "validation_failed")
    assert unknown.json()["error"]["details"] == not_a_home.json()["error"]["details"]
    response = await request(tree.other_branch, sender)
    assert response.status_code == 201, response.text
    transfer = response.json()
    assert transfer["requested_by"].startswith("account:")

    incoming = await client.get(
        "/transfers",
        params={"organization_id": str(tree.other_community), "direction": "incoming"},
        headers=receiver,
    )
    assert [t["id"] for t in incoming.json()["items"]] == [transfer["id"]]
    mine = await client.get("/transfers", headers=sender)
    assert [t["id"] for t in mine.json()["items"]] == [transfer["id"]]
    assert (await client.get("/transfers", headers=outsider)).json()["items"] == []
    peek = await client.get(
        "/transfers", params={"organization_id": str(tree.community)}, headers=receiver
    )
    assert error_of(peek) == (404, "not_found")

    url = f"/transfers/{transfer['id']}"
    assert (await client.get(url, headers=outsider)).status_code == 404
    decision = {"version": transfer["version"]}
    assert error_of(await client.post(f"{url}/accept", json=decision, headers=outsider)) == (
        404,
        "not_found",
    )
    assert error_of(await client.post(f"{url}/accept", json=decision, headers=sender)) == (
        403,
        "forbidden",
    )
    assert error_of(await client.post(f"{url}/cancel", json=decision, headers=receiver)) == (
        403,
        "forbidden",
    )
    accepted = await client.post(f"{url}/accept", json=decision, headers=receiver)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["decided_by"].startswith("account:")
    assert accepted.json()["decided_by"] != transfer["requested_by"]
    # Both sides keep seeing it; the member is now the receiver's.
    assert (await client.get(url, headers=sender)).json()["status"] == "accepted"
    moved = await client.get(f"/members/{member['id']}")
    assert moved.json()["community_id"] == str(tree.other_community)


async def test_the_sender_cancels_its_own_request(client: httpx.AsyncClient, tree: Tree) -> None:
    sender = as_(Role.community_admin, tree.community)
    member = (await client.post("/members", json=member_body(tree, "李四"))).json()
    body = {
        "member_id": member["id"],
        "member_version": member["version"],
        "to_organization_id": str(tree.other_branch),
    }
    transfer = (await client.post("/transfers", json=body, headers=sender)).json()
    cancelled = await client.post(
        f"/transfers/{transfer['id']}/cancel", json={"version": 1}, headers=sender
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
