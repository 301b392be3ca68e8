"""Access control on the member registry: each role sees its own subtree (anything else is
404), may change only what its role allows (403 when it sees the record), and sees
mobile, ID number and address in full only as the member or as one who may change the
record (full reads through a district or street grant audited).
Unit systems sync with an API key, for their own unit only, within a rate limit."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from openpyxl import load_workbook

from services.members.settings import MembersSettings
from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import bearer
from tests.orgtree import Tree, build_tree, create_org, member_body
from tests.platform import RunningService, running

pytestmark = pytest.mark.integration

SYNC_LIMIT = 4  # per minute and API key, for the rate-limit test
ID_NUMBER = "11010519491231002X"
MOBILE = "13812341234"
ADDRESS = "幸福路1号3栋201室"


@pytest.fixture
async def members(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    settings = await settings_for(MembersSettings, sync_rate_limit=f"{SYNC_LIMIT}/minute")
    async with running("members", settings, worker=False) as service:
        yield service


@pytest.fixture
async def tree(members: RunningService) -> Tree:
    return await build_tree(members.client)


async def register(members: RunningService, body: dict[str, Any]) -> dict[str, Any]:
    response = await members.client.post("/members", json=body)
    assert response.status_code == 201, response.text
    member: dict[str, Any] = response.json()
    return member


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {m["id"] for m in response.json()["items"]}


async def test_a_branch_secretary_sees_only_their_branch(
    members: RunningService, tree: Tree
) -> None:
    client = members.client
    own = await register(members, member_body(tree, "张三"))
    sibling_branch = await register(
        members, member_body(tree, "李四", home_organization_id=str(tree.retired_branch))
    )
    other_community = await register(
        members, member_body(tree, "王五", home_organization_id=str(tree.other_branch))
    )
    secretary = bearer(Grant(Role.branch_secretary, tree.branch))

    assert ids(await client.get("/members", headers=secretary)) == {own["id"]}
    filtered = await client.get(
        "/members", params={"organization_id": str(tree.branch)}, headers=secretary
    )
    assert ids(filtered) == {own["id"]}
    assert (await client.get(f"/members/{own['id']}", headers=secretary)).status_code == 200
    for hidden in (sibling_branch, other_community):
        response = await client.get(f"/members/{hidden['id']}", headers=secretary)
        assert response.status_code == 404
        assert "王五" not in response.text and "李四" not in response.text
    # An organization outside the branch, as a filter or for figures: not found.
    for org in (tree.other_community, tree.community):
        response = await client.get(
            "/members", params={"organization_id": str(org)}, headers=secretary
        )
        assert response.status_code == 404
        figures = await client.get(f"/organizations/{org}/figures", headers=secretary)
        assert figures.status_code == 404
    figures = await client.get(f"/organizations/{tree.branch}/figures", headers=secretary)
    assert figures.status_code == 200 and figures.json()["total"] == 1
    # Registering is an admin's: refused whatever the organization.
    refused = await client.post("/members", json=member_body(tree, "赵六"), headers=secretary)
    assert refused.status_code == 403


async def personal_data_reads(members: RunningService) -> list[dict[str, Any]]:
    """The audit log's full reads from above, newest first, as the district reads it."""
    response = await members.client.get("/audit", params={"action": "personal_data_read"})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["items"]
    return entries


async def test_personal_data_in_full_for_who_may_change_the_record_masked_for_readers(
    members: RunningService, tree: Tree
) -> None:
    client = members.client
    member = await register(
        members,
        member_body(tree, "李秀英", id_number=ID_NUMBER, mobile=MOBILE, address=ADDRESS),
    )
    other = await register(
        members, member_body(tree, "王五", home_organization_id=str(tree.other_branch))
    )
    district_admin = bearer(Grant(Role.district_admin, tree.district))
    street_admin = bearer(Grant(Role.street_admin, tree.street))
    community_admin = bearer(Grant(Role.community_admin, tree.community))
    neighbour_admin = bearer(Grant(Role.community_admin, tree.other_community))
    secretary = bearer(Grant(Role.branch_secretary, tree.branch))
    themself = bearer(Grant(Role.member), member_id=uuid.UUID(member["id"]))

    # Read-only roles: masked, in the record and in lists.
    seen = (await client.get(f"/members/{member['id']}", headers=secretary)).json()
    assert seen["mobile"] == "138****1234"
    assert seen["id_number"] == "1101**********002X"
    assert seen["address"] == "幸福路…"
    assert seen["name"] == "李秀英" and seen["birth_date"] == "1949-12-31"
    listed = (await client.get("/members", headers=secretary)).json()["items"]
    assert {m["mobile"] for m in listed if m["id"] == member["id"]} == {"138****1234"}

    # Whoever may change the record: in full (the organization department keeps the
    # full register), and a read through a district or street grant is audited.
    for admin in (district_admin, street_admin, community_admin):
        full = (await client.get(f"/members/{member['id']}", headers=admin)).json()
        assert (full["mobile"], full["id_number"], full["address"]) == (MOBILE, ID_NUMBER, ADDRESS)
    reads = await personal_data_reads(members)
    assert len(reads) == 2  # the district's and the street's; the community keeps it
    assert all(r["after"]["member_ids"] == [member["id"]] for r in reads)
    assert all(
        r["after"]["read"] == "member" and r["entity_type"] == "personal_data" for r in reads
    )
    assert ID_NUMBER not in str(reads) and MOBILE not in str(reads)
    # The community sees who above it read its members' records.
    seen_below = await client.get(
        "/audit", params={"action": "personal_data_read"}, headers=community_admin
    )
    assert len(seen_below.json()["items"]) == 2
    # A list: one entry for the request, naming the members read.
    listed = (await client.get("/members", headers=street_admin)).json()["items"]
    assert {m["mobile"] for m in listed if m["id"] == member["id"]} == {MOBILE}
    latest = (await personal_data_reads(members))[0]
    assert latest["after"]["read"] == "members"
    assert set(latest["after"]["member_ids"]) == {member["id"], other["id"]}
    assert len(await personal_data_reads(members)) == 3
    assert (await client.get(f"/members/{member['id']}", headers=neighbour_admin)).status_code == (
        404
    )

    # The member: their own record in full, nobody else's, and no list.
    mine = await client.get("/me/member", headers=themself)
    assert mine.status_code == 200 and mine.json()["mobile"] == MOBILE
    assert mine.json()["id_number"] == ID_NUMBER
    own = (await client.get(f"/members/{member['id']}", headers=themself)).json()
    assert own["address"] == ADDRESS
    assert (await client.get(f"/members/{other['id']}", headers=themself)).status_code == 404
    assert (await client.get("/members", headers=themself)).status_code == 403
    assert (await client.get("/me/member", headers=district_admin)).status_code == 404
    assert len(await personal_data_reads(members)) == 3

    # The district office checks what it entered: its own answer is in full, not audited
    # as a read (the write's own entry names it and the record).
    change = {"version": member["version"], "mobile": "13912345678"}
    patched = await client.patch(f"/members/{member['id']}", json=change, headers=district_admin)
    assert patched.status_code == 200, patched.text
    assert patched.json()["mobile"] == "13912345678"
    assert len(await personal_data_reads(members)) == 3
    history = (await client.get(f"/members/{member['id']}/history", headers=district_admin)).json()[
        "items"
    ]
    assert [h["action"] for h in history] == ["registered", "updated"]
    assert history[1]["after"]["mobile"] == "13912345678"
    assert history[0]["after"]["id_number"] == ID_NUMBER
    assert all(h["actor"].startswith("account:") for h in history)
    assert (await personal_data_reads(members))[0]["after"]["read"] == "history"
    assert (
        await client.get(f"/members/{member['id']}/history", headers=themself)
    ).status_code == 403

    # A masked mobile can't be read back through the search, digit by digit.
    by_mobile = {"q": "1391234"}
    assert ids(await client.get("/members", params=by_mobile, headers=secretary)) == set()
    for admin in (district_admin, community_admin):
        found = await client.get("/members", params=by_mobile, headers=admin)
        assert ids(found) == {member["id"]}


async def test_a_group_leader_reads_but_may_not_change(members: RunningService, tree: Tree) -> None:
    client = members.client
    in_group = await register(
        members, member_body(tree, "张三", home_organization_id=str(tree.group))
    )
    in_branch = await register(members, member_body(tree, "李四"))
    leader = bearer(Grant(Role.group_leader, tree.group))

    assert ids(await client.get("/members", headers=leader)) == {in_group["id"]}
    assert (await client.get(f"/members/{in_branch['id']}", headers=leader)).status_code == 404
    change = {"version": in_group["version"], "post": "组长"}
    refused = await client.patch(f"/members/{in_group['id']}", json=change, headers=leader)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    deactivate = {"version": in_group["version"], "status": "deceased"}
    response = await client.post(
        f"/members/{in_group['id']}/deactivate", json=deactivate, headers=leader
    )
    assert response.status_code == 403

    # An admin of the neighbouring community doesn't see the member: 404, not 403.
    neighbour = bearer(Grant(Role.community_admin, tree.other_community))
    response = await client.patch(f"/members/{in_group['id']}", json=change, headers=neighbour)
    assert response.status_code == 404
    merge = {
        "duplicate_id": in_branch["id"],
        "version": in_group["version"],
        "duplicate_version": in_branch["version"],
        "reason": "同一人",
    }
    response = await client.post(f"/members/{in_group['id']}/merge", json=merge, headers=neighbour)
    assert response.status_code == 404
    assert (await client.get(f"/members/{in_group['id']}")).json()["version"] == 1


async def test_a_unit_admin_sees_the_units_in_service_members(
    members: RunningService, tree: Tree
) -> None:
    client = members.client
    unit_admin = bearer(Grant(Role.unit_admin, tree.unit))
    body = member_body(
        tree,
        "周在职",
        home_organization_id=str(tree.unit),
        community_id=str(tree.community),
        mobile=MOBILE,
    )
    # The unit's admin registers an in-service member living in a community of the district.
    response = await client.post("/members", json=body, headers=unit_admin)
    assert response.status_code == 201, response.text
    in_service = response.json()
    # The unit may change the record (and holds it in its own HR system): in full.
    assert in_service["mobile"] == MOBILE
    community_member = await register(members, member_body(tree, "李四"))

    assert ids(await client.get("/members", headers=unit_admin)) == {in_service["id"]}
    assert (
        await client.get(f"/members/{community_member['id']}", headers=unit_admin)
    ).status_code == 404
    # …and may not register anyone in a community's branch, which it doesn't see.
    response = await client.post("/members", json=member_body(tree, "赵六"), headers=unit_admin)
    assert response.status_code == 404
    # The community sees its resident in-service member too, in full (双报到).
    community_admin = bearer(Grant(Role.community_admin, tree.community))
    seen = (await client.get(f"/members/{in_service['id']}", headers=community_admin)).json()
    assert seen["mobile"] == MOBILE


async def test_a_unit_system_syncs_with_its_api_key_only_its_own_unit_within_a_limit(
    members: RunningService, tree: Tree
) -> None:
    client = members.client
    created = await client.post(f"/units/{tree.unit}/api-keys", json={"name": "人事系统同步"})
    assert created.status_code == 201, created.text
    key = {"Authorization": f"Bearer {created.json()['key']}"}
    row = {
        "external_id": "E00001",
        "name": "周在职",
        "mobile": MOBILE,
        "id_number": ID_NUMBER,
        "community_id": str(tree.community),
    }
    body = {"mode": "full", "members": [row]}

    synced = await client.post(f"/units/{tree.unit}/sync", json=body, headers=key)  # call 1
    assert synced.status_code == 200, synced.text
    assert MOBILE not in synced.text and ID_NUMBER not in synced.text
    member_id = synced.json()["created"][0]["member_id"]
    history = (await client.get(f"/members/{member_id}/history")).json()["items"]
    assert history[0]["actor"] == f"api_key:{created.json()['id']}"

    other_unit = await create_org(client, "unit", "区卫健局党委", tree.district)
    response = await client.post(f"/units/{other_unit}/sync", json=body, headers=key)  # call 2
    assert response.status_code == 404
    # The key is for syncing, not for reading the registry.
    assert (await client.get("/members", headers=key)).status_code == 403
    assert (await client.get(f"/members/{member_id}", headers=key)).status_code == 403

    for _ in range(SYNC_LIMIT - 2):
        response = await client.post(f"/units/{tree.unit}/sync", json=body, headers=key)
        assert response.status_code == 200, response.text
    limited = await client.post(f"/units/{tree.unit}/sync", json=body, headers=key)
    assert limited.status_code == 429, limited.text
    assert limited.json()["error"]["code"] == "too_many_requests"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    # Another key (another unit system) has its own window.
    second = await client.post(f"/units/{tree.unit}/api-keys", json={"name": "备用"})
    other_key = {"Authorization": f"Bearer {second.json()['key']}"}
    response = await client.post(f"/units/{tree.unit}/sync", json=body, headers=other_key)
    assert response.status_code == 200, response.text

    # People may sync too, but only as the unit's admin.
    district_admin = bearer(Grant(Role.district_admin, tree.district))
    response = await client.post(f"/units/{tree.unit}/sync", json=body, headers=district_admin)
    assert response.status_code == 403


async def test_the_roster_export_is_in_full_for_writers_and_masked_for_readers(
    members: RunningService, tree: Tree
) -> None:
    client = members.client
    await register(
        members,
        member_body(tree, "李秀英", id_number=ID_NUMBER, mobile=MOBILE, address=ADDRESS),
    )

    async def export(headers: dict[str, str]) -> list[Any]:
        response = await client.get(f"/communities/{tree.community}/roster/export", headers=headers)
        assert response.status_code == 200, response.text
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        header = list(rows[0])
        row = rows[1]
        return [row[header.index(h)] for h in ("身份证号", "手机号", "家庭住址")]

    street_admin = bearer(Grant(Role.street_admin, tree.street))
    community_admin = bearer(Grant(Role.community_admin, tree.community))
    assert await export(community_admin) == [ID_NUMBER, MOBILE, ADDRESS]
    assert await personal_data_reads(members) == []
    # Those who may change the records export them in full, so the file can be
    # corrected and imported again; the street's export is audited, once, by scope.
    assert await export(street_admin) == [ID_NUMBER, MOBILE, ADDRESS]
    (read,) = await personal_data_reads(members)
    assert read["after"] == {
        "read": "roster_export",
        "organization_id": str(tree.community),
        "status": None,
    }

    # Out of sight: not found (a branch's secretary reads the branch, not the whole
    # community; every role that sees a community may change its records); a reader may
    # not import.
    neighbour = bearer(Grant(Role.community_admin, tree.other_community))
    secretary = bearer(Grant(Role.branch_secretary, tree.branch))
    for outsider in (neighbour, secretary):
        path = f"/communities/{tree.community}/roster/export"
        assert (await client.get(path, headers=outsider)).status_code == 404
    response = await client.post(
        f"/communities/{tree.community}/roster/import",
        files={"file": ("roster.csv", "姓名,所在党组织\n".encode(), "text/csv")},
        headers=secretary,
    )
    assert response.status_code == 403
    response = await client.post(
        f"/communities/{tree.community}/roster/import",
        files={"file": ("roster.csv", "姓名,所在党组织\n".encode(), "text/csv")},
        headers=neighbour,
    )
    assert response.status_code == 404
