"""The audit log read by admins (``GET /audit``): each admin reads the writes concerning
their part of the tree and nothing else, with filters and cursor pagination; personal
data is masked as in the member's record; credentials never appear; the migration
scopes the entries written before it."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic import command

from services.members.settings import MembersSettings
from shared import migrations
from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import bearer
from tests.orgtree import Tree, build_tree, member_body
from tests.platform import RunningService, running

pytestmark = pytest.mark.integration

ID_NUMBER = "11010519491231002X"
MOBILE = "13812341234"
ADDRESS = "幸福路1号3栋201室"
PASSWORD = "abcd1234"
ERROR_KEYS = {"code", "message", "details", "request_id", "data"}


@pytest.fixture
async def members(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    settings = await settings_for(MembersSettings)
    async with running("members", settings, worker=False) as service:
        yield service


@pytest.fixture
async def tree(members: RunningService) -> Tree:
    return await build_tree(members.client)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def register(members: RunningService, body: dict[str, Any]) -> dict[str, Any]:
    member: dict[str, Any] = ok(await members.client.post("/members", json=body), 201)
    return member


async def audit(
    members: RunningService, headers: dict[str, str] | None = None, **params: Any
) -> list[dict[str, Any]]:
    """Every entry the caller reads with these filters, following the cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {k: str(v) for k, v in params.items()} | ({"cursor": cursor} if cursor else {})
        page = ok(await members.client.get("/audit", params=query, headers=headers))
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def entities(items: list[dict[str, Any]]) -> set[str]:
    return {i["entity_id"] for i in items}


def actions(items: list[dict[str, Any]], entity_id: Any) -> list[str]:
    return [i["action"] for i in items if i["entity_id"] == str(entity_id)]


async def test_a_community_admin_reads_their_communitys_writes_only(
    members: RunningService, tree: Tree
) -> None:
    client = members.client
    own = await register(members, member_body(tree, "张三", mobile=MOBILE))
    ok(await client.patch(f"/members/{own['id']}", json={"version": 1, "post": "组长"}))
    in_service = await register(
        members,
        member_body(
            tree, "周在职", home_organization_id=str(tree.unit), community_id=str(tree.community)
        ),
    )
    report = ok(
        await client.post(
            f"/members/{in_service['id']}/report-in", json={"community_id": str(tree.community)}
        ),
        201,
    )
    neighbour = await register(
        members, member_body(tree, "王五", home_organization_id=str(tree.other_branch))
    )

    community_admin = bearer(Grant(Role.community_admin, tree.community))
    seen = await audit(members, community_admin)
    assert actions(seen, own["id"]) == ["updated", "registered"]  # newest first
    assert actions(seen, in_service["id"]) == ["registered"]  # 双报到: their resident
    assert actions(seen, report["id"]) == ["recorded"]
    community_orgs = {tree.community, tree.committee, tree.branch, tree.retired_branch, tree.group}
    assert {str(o) for o in community_orgs} <= entities(seen)
    hidden = {tree.other_community, tree.other_branch, tree.unit, tree.street, tree.district}
    assert not {str(o) for o in hidden} & entities(seen)
    assert neighbour["id"] not in entities(seen) and "王五" not in str(seen)
    assert all(i["actor"] and i["at"] for i in seen)

    neighbour_admin = bearer(Grant(Role.community_admin, tree.other_community))
    theirs = await audit(members, neighbour_admin)
    assert actions(theirs, neighbour["id"]) == ["registered"]
    assert own["id"] not in entities(theirs) and report["id"] not in entities(theirs)


async def test_a_unit_admin_reads_its_in_service_members_and_api_keys(
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
    in_service = ok(await client.post("/members", json=body, headers=unit_admin), 201)
    report = ok(
        await client.post(
            f"/members/{in_service['id']}/report-in", json={"community_id": str(tree.community)}
        ),
        201,
    )
    created = ok(await client.post(f"/units/{tree.unit}/api-keys", json={"name": "人事系统"}), 201)
    ok(await client.post(f"/units/{tree.unit}/api-keys/{created['id']}/revoke"))
    community_member = await register(members, member_body(tree, "李四"))

    seen = await audit(members, unit_admin)
    assert actions(seen, created["id"]) == ["revoked", "created"]
    assert actions(seen, in_service["id"]) == ["registered"]
    assert actions(seen, report["id"]) == ["recorded"]
    assert actions(seen, tree.unit) == ["created"]
    assert community_member["id"] not in entities(seen)
    assert str(tree.community) not in entities(seen)
    # The unit may change its in-service member's record: it reads it in full.
    registered = next(i for i in seen if i["entity_id"] == in_service["id"])
    assert registered["after"]["mobile"] == MOBILE
    # The key's secret and its hash are nowhere; its prefix is, to tell keys apart.
    key = next(i for i in seen if i["entity_id"] == created["id"])
    assert key["after"]["prefix"] == created["prefix"]
    assert created["key"] not in str(seen)


async def test_set_based_writes_are_read_like_the_others(
    members: RunningService, tree: Tree
) -> None:
    """A unit's sync and a roster import write their audit rows as sets: the unit reads
    what its sync did, the community what reached it, another community nothing."""
    client = members.client
    unit_admin = bearer(Grant(Role.unit_admin, tree.unit))
    row = {"external_id": "E1", "name": "吴同步", "community_id": str(tree.community)}
    sync = {"mode": "delta", "members": [row]}
    synced = ok(await client.post(f"/units/{tree.unit}/sync", json=sync, headers=unit_admin))
    member_id = synced["created"][0]["member_id"]
    roster = "姓名,所在党组织\r\n郑台账,第一党支部\r\n".encode()
    files = {"file": ("台账.csv", roster, "text/csv")}
    ok(await client.post(f"/communities/{tree.community}/roster/import", files=files))

    by_unit = await audit(members, unit_admin, entity_type="member")
    assert [(i["entity_id"], i["action"]) for i in by_unit] == [(member_id, "registered")]
    assert by_unit[0]["after"]["source"] == "unit_sync"
    community_admin = bearer(Grant(Role.community_admin, tree.community))
    by_community = await audit(members, community_admin, entity_type="member")
    assert [i["after"]["name"] for i in by_community] == ["郑台账", "吴同步"]
    assert by_community[0]["after"]["source"] == "roster_import"
    other = bearer(Grant(Role.community_admin, tree.other_community))
    assert await audit(members, other, entity_type="member") == []


async def test_a_district_admin_reads_the_whole_district_with_grants_and_accounts(
    members: RunningService,
    tree: Tree,
    db_conn: Callable[..., Any],
) -> None:
    client = members.client
    account = ok(
        await client.post(
            "/accounts",
            json={
                "username": "shequ.admin",
                "display_name": "社区管理员",
                "password": PASSWORD,
                "grants": [{"role": "community_admin", "node_id": str(tree.community)}],
            },
        ),
        201,
    )
    grant_id = account["grants"][0]["id"]
    ok(
        await client.post(f"/accounts/{account['id']}/password", json={"new_password": "xyz98765"}),
        204,
    )
    neighbour = await register(
        members, member_body(tree, "王五", home_organization_id=str(tree.other_branch))
    )

    district_admin = bearer(Grant(Role.district_admin, tree.district))
    seen = await audit(members, district_admin)
    assert actions(seen, grant_id) == ["granted"]
    assert actions(seen, account["id"]) == ["password_reset", "created"]
    assert actions(seen, neighbour["id"]) == ["registered"]
    assert {str(tree.district), str(tree.street), str(tree.unit)} <= entities(seen)
    # The grant and the account are read where the grant is: not the neighbouring community.
    community = await audit(members, bearer(Grant(Role.community_admin, tree.community)))
    assert actions(community, account["id"]) == ["password_reset", "created"]
    other = await audit(members, bearer(Grant(Role.community_admin, tree.other_community)))
    assert account["id"] not in entities(other) and grant_id not in entities(other)
    # Another district's admin reads nothing of this one.
    assert await audit(members, bearer(Grant(Role.district_admin, uuid.uuid4()))) == []

    # No password or key hash in the stored rows either.
    conn = await db_conn(members.settings.database_url)
    stored = await conn.fetch("SELECT before::text, after::text FROM audit_log")
    text = " ".join(str(v) for row in stored for v in row)
    assert "argon2" not in text and "password_hash" not in text and "secret_hash" not in text
    hashes = await conn.fetch(
        "SELECT secret_hash AS h FROM api_key UNION SELECT password_hash FROM account"
    )
    assert all(row["h"] not in text for row in hashes)


async def test_both_sides_read_a_transfer_and_a_move(members: RunningService, tree: Tree) -> None:
    client = members.client
    member = await register(members, member_body(tree, "张三"))
    transfer = ok(
        await client.post(
            "/transfers",
            json={
                "member_id": member["id"],
                "member_version": member["version"],
                "to_organization_id": str(tree.other_branch),
                "reason": "搬家",
            },
        ),
        201,
    )
    ok(await client.post(f"/transfers/{transfer['id']}/accept", json={"version": 1}))
    move = {"version": 1, "parent_id": str(tree.other_community)}
    ok(await client.post(f"/organizations/{tree.retired_branch}/move", json=move))

    for community in (tree.community, tree.other_community):
        seen = await audit(members, bearer(Grant(Role.community_admin, community)))
        assert actions(seen, transfer["id"]) == ["accepted", "requested"]
        assert actions(seen, member["id"])[0] == "transferred"
        # The branch moved away: the community it left reads that too.
        assert actions(seen, tree.retired_branch)[0] == "moved"


async def test_only_admins_may_read_and_only_within_their_reach(
    members: RunningService, tree: Tree
) -> None:
    client = members.client
    member = await register(members, member_body(tree, "张三"))
    cases = {
        "branch_secretary": bearer(Grant(Role.branch_secretary, tree.branch)),
        "group_leader": bearer(Grant(Role.group_leader, tree.group)),
        "member": bearer(Grant(Role.member), member_id=uuid.UUID(member["id"])),
    }
    for role, headers in cases.items():
        response = await client.get("/audit", headers=headers)
        assert response.status_code == 403, role
        assert response.json()["error"]["code"] == "forbidden"
    key = ok(await client.post(f"/units/{tree.unit}/api-keys", json={"name": "系统"}), 201)
    response = await client.get("/audit", headers={"Authorization": f"Bearer {key['key']}"})
    assert response.status_code == 403

    # A node outside the caller's sight: not found, as for any id; one they see but may
    # not audit: forbidden.
    community_admin = bearer(Grant(Role.community_admin, tree.community))
    for node in (tree.other_community, tree.street, uuid.uuid4()):
        response = await client.get(
            "/audit", params={"organization_id": str(node)}, headers=community_admin
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    reader = bearer(
        Grant(Role.community_admin, tree.other_community),
        Grant(Role.branch_secretary, tree.branch),
    )
    response = await client.get(
        "/audit", params={"organization_id": str(tree.branch)}, headers=reader
    )
    assert response.status_code == 403


async def test_filters_and_pagination(members: RunningService, tree: Tree) -> None:
    client = members.client
    community_admin = bearer(Grant(Role.community_admin, tree.community))
    first = ok(
        await client.post("/members", json=member_body(tree, "张三"), headers=community_admin), 201
    )
    for version, post in ((1, "组长"), (2, "委员")):
        change = {"version": version, "post": post}
        ok(await client.patch(f"/members/{first['id']}", json=change))
    retired = await register(
        members, member_body(tree, "李四", home_organization_id=str(tree.retired_branch))
    )

    everything = await audit(members)
    ids = [i["id"] for i in everything]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    # Pages of two give the same entries in the same order.
    paged = await audit(members, limit=2)
    assert [i["id"] for i in paged] == ids

    by_member = await audit(members, entity_type="member", entity_id=first["id"])
    assert [i["action"] for i in by_member] == ["updated", "updated", "registered"]
    assert by_member[0]["changed"] == ["post", "updated_at", "version"]
    assert by_member[0]["before"]["post"] == "组长" and by_member[0]["after"]["post"] == "委员"
    updates = await audit(members, action="updated")
    assert {i["entity_id"] for i in updates} == {first["id"]} and len(updates) == 2

    actor = by_member[-1]["actor"]
    assert actor.startswith("account:")
    assert [i["entity_id"] for i in await audit(members, actor=actor)] == [first["id"]]

    subtree = await audit(members, organization_id=tree.retired_branch)
    assert retired["id"] in entities(subtree) and first["id"] not in entities(subtree)
    assert entities(subtree) <= {retired["id"], str(tree.retired_branch)}
    orgs = await audit(members, entity_type="organization", organization_id=tree.community)
    assert {i["entity_type"] for i in orgs} == {"organization"}
    assert str(tree.group) in entities(orgs) and str(tree.other_branch) not in entities(orgs)

    today = datetime.now(UTC).date()
    assert len(await audit(members, since=today - timedelta(days=1))) == len(everything)
    assert len(await audit(members, until=today + timedelta(days=1))) == len(everything)
    assert await audit(members, until=today - timedelta(days=2)) == []
    assert await audit(members, since=today + timedelta(days=2)) == []
    # Times: inclusive bounds, with or without a zone (none means Beijing time).
    at = datetime.fromisoformat(by_member[0]["at"])
    assert by_member[0]["id"] in {
        i["id"] for i in await audit(members, since=at.isoformat(), until=at.isoformat())
    }
    later = (at + timedelta(seconds=1)).astimezone(UTC).isoformat()
    assert by_member[0]["id"] not in {i["id"] for i in await audit(members, since=later)}
    beijing = at.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=8)
    naive = await audit(members, entity_id=first["id"], since=beijing.isoformat())
    assert by_member[0]["id"] in {i["id"] for i in naive}


async def test_personal_data_is_masked_unless_the_caller_may_change_the_record_now(
    members: RunningService, tree: Tree
) -> None:
    client = members.client
    member = await register(
        members,
        member_body(tree, "李秀英", id_number=ID_NUMBER, mobile=MOBILE, address=ADDRESS),
    )
    ok(await client.patch(f"/members/{member['id']}", json={"version": 1, "mobile": "13912345678"}))

    async def entries(headers: dict[str, str]) -> list[dict[str, Any]]:
        return await audit(members, headers, entity_id=member["id"], entity_type="member")

    community_admin = bearer(Grant(Role.community_admin, tree.community))
    for headers in (bearer(Grant(Role.street_admin, tree.street)), community_admin):
        updated, registered = await entries(headers)
        assert (updated["before"]["mobile"], updated["after"]["mobile"]) == (MOBILE, "13912345678")
        assert updated["changed"] == ["mobile", "updated_at", "version"]
        assert registered["after"]["id_number"] == ID_NUMBER
        assert registered["after"]["address"] == ADDRESS
    # The street's full read is itself audited: one entry naming the member.
    (read,) = await audit(members, action="personal_data_read")
    assert read["after"] == {"read": "audit_log", "count": 1, "member_ids": [member["id"]]}

    # Transferred to the neighbouring community: the old community still reads the
    # entries about its time, but may no longer change the record — masked.
    sent = ok(
        await client.post(
            "/transfers",
            json={
                "member_id": member["id"],
                "member_version": 2,
                "to_organization_id": str(tree.other_branch),
            },
        ),
        201,
    )
    ok(await client.post(f"/transfers/{sent['id']}/accept", json={"version": sent["version"]}))
    transferred, updated, registered = await entries(community_admin)
    assert transferred["action"] == "transferred"
    assert updated["before"]["mobile"] == "138****1234"
    assert updated["after"]["mobile"] == "139****5678"
    assert updated["changed"] == ["mobile", "updated_at", "version"]
    assert registered["after"]["id_number"] == "1101**********002X"
    assert registered["after"]["address"] == "幸福路…"
    assert registered["after"]["name"] == "李秀英"
    assert MOBILE not in str(registered) and ID_NUMBER not in str(registered)
    # The new community reads the transfer's entry, about a record it may now change.
    (arrival,) = await entries(bearer(Grant(Role.community_admin, tree.other_community)))
    assert arrival["action"] == "transferred"
    assert arrival["after"]["mobile"] == "13912345678"
    assert transferred["after"]["mobile"] == "139****5678"


async def test_bad_query_input_answers_with_the_common_error_body(
    members: RunningService, tree: Tree
) -> None:
    client = members.client
    not_a_cursor = base64.urlsafe_b64encode(b'["x"]').decode()
    too_big = base64.urlsafe_b64encode(str([2**70]).encode()).decode()
    cases = [
        ({"since": "2026-13-01"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "0001-01-01T00:00:00"}, "since"),
        ({"until": "9999-12-31"}, "until"),
        ({"since": date.today().isoformat(), "until": "2000-01-01"}, "until"),
        ({"entity_id": "not-a-uuid"}, "entity_id"),
        ({"organization_id": "123"}, "organization_id"),
        ({"entity_type": "password"}, "entity_type"),
        ({"actor": "account:\x00"}, "actor"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": not_a_cursor}, "cursor"),
        ({"cursor": too_big}, "cursor"),
    ]
    for params, field in cases:
        response = await client.get("/audit", params=params)
        assert response.status_code in (400, 422), (params, response.text)
        error = response.json()["error"]
        assert set(error) >= ERROR_KEYS and error["message"], error
        assert field in {d["field"] for d in error["details"]}, (params, error)


async def test_the_migration_scopes_earlier_entries(
    fresh_database: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    url = await fresh_database("members")
    config = migrations.alembic_config("members", url)  # a copy of the template, at head
    await asyncio.to_thread(command.downgrade, config, "0007")
    conn = await db_conn(url)
    district, community, home, unit, node, org = (uuid.uuid4() for _ in range(6))
    rows = [
        ("member", {"home_organization_id": str(home)}, district, community),
        ("organization", None, district, None),
        ("api_key", {"unit_id": str(unit)}, district, None),
        ("grant", {"node_id": str(node)}, None, None),
        ("member", {"home_organization_id": "not-a-uuid"}, None, community),
        ("account", {"username": "x"}, None, None),
    ]
    for entity_type, after, district_id, community_id in rows:
        await conn.execute(
            "INSERT INTO audit_log (entity_type, entity_id, action, after, district_id,"
            " community_id) VALUES ($1, $2, 'x', $3::jsonb, $4, $5)",
            entity_type,
            org if entity_type == "organization" else uuid.uuid4(),
            None if after is None else json.dumps(after),
            district_id,
            community_id,
        )
    await asyncio.to_thread(migrations.upgrade, "members", url)
    scoped = [
        set(r["organization_ids"])
        for r in await conn.fetch("SELECT organization_ids FROM audit_log ORDER BY id")
    ]
    assert scoped == [
        {district, community, home},
        {district, org},
        {district, unit},
        {node},
        {community},
        set(),
    ]
