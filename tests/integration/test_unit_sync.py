"""A unit Party organization syncs its in-service members: create, nothing twice, update,
deactivate, refusals, dry run, row errors, partial writes, linking, and the projections."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from stdnum.cn import ric

from services.members.registry import bulk as registry_bulk
from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.orgtree import Tree, build_tree, member_body
from tests.platform import RunningService, eventually

pytestmark = pytest.mark.integration

Platform = dict[str, RunningService]


def id_number(i: int) -> str:
    body = f"110105{1960 + i // 1000 % 40}0101{i % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def row(tree: Tree, i: int, **fields: Any) -> dict[str, Any]:
    return {
        "external_id": f"E{i:05d}",
        "name": f"党员{i}",
        "id_number": id_number(i),
        "mobile": f"1380000{i:04d}",
        "community_id": str(tree.community),
        "post": "科员",
        **fields,
    }


@pytest.fixture
async def tree(platform: Platform) -> Tree:
    client = platform["members"].client
    tree = await build_tree(client)
    # Syncing is the unit's own business: the test acts as its admin too.
    client.grants.append(Grant(Role.unit_admin, tree.unit))
    return tree


async def sync(platform: Platform, unit: uuid.UUID, members: list[Any], **options: Any) -> Any:
    body = {"mode": "full", "members": members, **options}
    return await platform["members"].client.post(f"/units/{unit}/sync", json=body)


async def counts(platform: Platform, db_conn: Callable[..., Any]) -> dict[str, int]:
    conn = await db_conn(platform["members"].settings.database_url)
    tables = ("member", "audit_log", "outbox", "unit_member_link")
    return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


async def test_create_then_the_same_request_changes_nothing(
    platform: Platform, tree: Tree, db_conn: Callable[..., Any]
) -> None:
    members = [row(tree, i) for i in range(3)]
    first = await sync(platform, tree.unit, members)
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["counts"]["created"] == 3 and report["applied"] is True
    assert report["summary"] == "新增 3 人，更新 0 人，停用 0 人，未变 0 人，错误 0 行"
    member = report["created"][0]["member_id"]
    stored = (await platform["members"].client.get(f"/members/{member}")).json()
    assert stored["home_organization_id"] == str(tree.unit)
    assert stored["community_id"] == str(tree.community)
    assert stored["categories"] == ["in_service"] and stored["gender"] == "female"
    before = await counts(platform, db_conn)
    again = (await sync(platform, tree.unit, members)).json()
    assert again["counts"] == {
        "created": 0,
        "linked": 0,
        "updated": 0,
        "deactivated": 0,
        "unlinked": 0,
        "unchanged": 3,
        "errors": 0,
    }
    assert await counts(platform, db_conn) == before
    assert (await platform["members"].client.get(f"/members/{member}")).json()["version"] == 1

    async def projected() -> bool:
        view = await platform["activities"].client.get(f"/members/{member}")
        return view.status_code == 200

    await eventually(projected)


async def test_update_and_full_mode_deactivation_reach_the_projection(
    platform: Platform, tree: Tree
) -> None:
    members = [row(tree, i) for i in range(3)]
    created = (await sync(platform, tree.unit, members)).json()["created"]
    changed = [members[0] | {"post": "处长"}, members[1]]
    report = (await sync(platform, tree.unit, changed)).json()
    assert report["counts"]["updated"] == 1 and report["updated"][0]["changed"] == ["post"]
    assert report["counts"]["deactivated"] == 1 and report["counts"]["unchanged"] == 1
    gone = report["deactivated"][0]["member_id"]
    assert gone == created[2]["member_id"]
    client = platform["members"].client
    assert (await client.get(f"/members/{gone}")).json()["status"] == "transferred_out"
    history = (await client.get(f"/members/{created[0]['member_id']}/history")).json()["items"]
    assert [h["action"] for h in history] == ["registered", "updated"]

    async def followed() -> bool:
        view = await platform["activities"].client.get(f"/members/{gone}")
        return view.status_code == 200 and view.json()["status"] == "transferred_out"

    await eventually(followed)
    back = (await sync(platform, tree.unit, [*changed, members[2]])).json()  # listed again
    assert back["counts"]["updated"] == 1 and back["updated"][0]["changed"] == ["status"]


async def test_delta_creates_updates_and_deletes_only_what_it_names(
    platform: Platform, tree: Tree
) -> None:
    await sync(platform, tree.unit, [row(tree, i) for i in range(3)])
    delta = [row(tree, 3), {"external_id": "E00000", "deleted": True}]
    report = (await sync(platform, tree.unit, delta, mode="delta")).json()
    assert report["counts"]["created"] == 1 and report["counts"]["deactivated"] == 1
    assert report["counts"]["unchanged"] == 0


async def test_empty_full_list_is_refused_unless_allowed(platform: Platform, tree: Tree) -> None:
    await sync(platform, tree.unit, [row(tree, 0)])
    refused = await sync(platform, tree.unit, [])
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "empty_full_sync"
    allowed = await sync(platform, tree.unit, [], allow_empty=True)
    assert allowed.status_code == 200 and allowed.json()["counts"]["deactivated"] == 1


async def test_dry_run_reports_and_writes_nothing(
    platform: Platform, tree: Tree, db_conn: Callable[..., Any]
) -> None:
    before = await counts(platform, db_conn)
    response = await sync(platform, tree.unit, [row(tree, i) for i in range(2)], dry_run=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["counts"]["created"] == 2 and report["applied"] is False
    assert report["created"][0]["member_id"] is None
    assert await counts(platform, db_conn) == before


async def test_row_errors_write_nothing_and_partial_writes_the_good_rows(
    platform: Platform, tree: Tree, db_conn: Callable[..., Any]
) -> None:
    bad_digit = id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1")
    members = [
        row(tree, 0),
        row(tree, 1, id_number=bad_digit),
        row(tree, 2, mobile="12345678901"),
        row(tree, 3, community_id=str(uuid.uuid4())),
    ]
    before = await counts(platform, db_conn)
    refused = await sync(platform, tree.unit, members)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "sync_rows_invalid" and error["details"] == []  # one shape
    found = {(e["row"], e["field"]) for e in error["data"]["errors"]}
    assert found == {(1, "id_number"), (2, "mobile"), (3, "community_id")}
    assert all(e["message"] for e in error["data"]["errors"])
    assert "校验位" in error["data"]["errors"][0]["message"]
    assert await counts(platform, db_conn) == before
    partial = (await sync(platform, tree.unit, members, partial=True)).json()
    assert partial["applied"] is True
    assert partial["counts"]["created"] == 1 and partial["counts"]["errors"] == 3
    assert partial["summary"].endswith("错误 3 行")


async def test_a_known_id_number_links_to_the_existing_record(
    platform: Platform, tree: Tree, db_conn: Callable[..., Any]
) -> None:
    client = platform["members"].client
    existing = await client.post(
        "/members", json=member_body(tree, "王建国", id_number=id_number(7))
    )
    assert existing.status_code == 201, existing.text
    report = (await sync(platform, tree.unit, [row(tree, 7, name="王建国")])).json()
    assert report["counts"]["linked"] == 1 and report["counts"]["created"] == 0
    assert report["linked"][0]["member_id"] == existing.json()["id"]
    member = (await client.get(f"/members/{existing.json()['id']}")).json()
    assert member["branch_id"] == str(tree.branch)  # the community's record keeps its place
    assert "in_service" in member["categories"] and member["post"] == "科员"
    conn = await db_conn(platform["members"].settings.database_url)
    assert await conn.fetchval("SELECT count(*) FROM member") == 1
    gone = (await sync(platform, tree.unit, [], allow_empty=True)).json()
    assert gone["counts"]["unlinked"] == 1 and gone["counts"]["deactivated"] == 0


async def test_a_registration_racing_the_sync_is_a_conflict_that_writes_nothing(
    platform: Platform,
    tree: Tree,
    db_conn: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between the sync's checks and its write, someone registers a person the list also
    names: the ID number's unique index refuses the write, the answer is 409 with what
    to do, and nothing of the sync is left."""
    real_now = registry_bulk.now

    async def racing_now(session: Any) -> Any:
        body = member_body(tree, "党员1", id_number=id_number(1))
        raced = await platform["members"].client.post("/members", json=body)
        assert raced.status_code == 201, raced.text
        return await real_now(session)

    monkeypatch.setattr(registry_bulk, "now", racing_now)
    before = await counts(platform, db_conn)
    response = await sync(platform, tree.unit, [row(tree, i) for i in range(3)])
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "sync_conflict" and "请重新同步" in error["message"]
    after = await counts(platform, db_conn)
    # Only the racing registration: one member, its audit entry and its event.
    assert {t: after[t] - before[t] for t in after} == {
        "member": 1,
        "audit_log": 1,
        "outbox": 1,
        "unit_member_link": 0,
    }


async def test_unknown_unit_or_not_a_unit_is_404(platform: Platform, tree: Tree) -> None:
    assert (await sync(platform, uuid.uuid4(), [row(tree, 0)])).status_code == 404
    assert (await sync(platform, tree.community, [row(tree, 0)])).status_code == 404


async def test_ten_thousand_rows_in_one_request(platform: Platform, tree: Tree) -> None:
    members = [row(tree, i, mobile=f"139{i:08d}") for i in range(10_000)]
    response = await sync(platform, tree.unit, members)
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["created"] == 10_000
    # The larger cap is the sync route's only.
    big = await platform["members"].client.post(
        "/members", content=b"x" * 1_100_000, headers={"content-type": "application/json"}
    )
    assert big.status_code == 413
