"""Onboarding a whole community from one description: API (JSON, YAML) and command line."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.members.settings import MembersSettings
from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import bearer
from tests.orgtree import create_district
from tests.platform import RunningService, run_members_cli, running

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "services" / "members" / "onboarding" / "example_community.yaml"
EXAMPLE_NODES = 20  # organizations in example_community.yaml, district to unit branches
DISTRICT = "盘龙区"  # the example's district


def example() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return data


@pytest.fixture
async def members(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    async with running("members", await settings_for(MembersSettings), worker=False) as service:
        # Districts come from the operators' command line; the test is the district's admin.
        await create_district(service.client, DISTRICT)
        yield service


async def counts(conn: Any) -> tuple[int, int, int]:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM organization) AS orgs,"
        " (SELECT count(*) FROM outbox) AS events,"
        " (SELECT count(*) FROM audit_log) AS audit"
    )
    return row["orgs"], row["events"], row["audit"]


async def test_onboarding_twice_changes_nothing_the_second_time(
    members: RunningService, db_conn: Callable[..., Any]
) -> None:
    client = members.client
    first = await client.post("/onboarding/communities", json=example())
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["created"], report["already_present"], report["linked"]) == (
        EXAMPLE_NODES - 1,
        1,
        0,
    )
    assert report["changed"] is True
    by_path = {o["path"]: o for o in report["organizations"]}
    assert by_path["community"]["id"] == report["community_id"]
    retired = by_path["community.organizations[0].children[1]"]
    assert (retired["kind"], retired["name"]) == ("branch", "离退休党员党支部")
    household = (
        await client.get(
            f"/organizations/{by_path['community.organizations[0].children[1].children[3]']['id']}"
        )
    ).json()
    assert household["kind"] == "center_household" and household["parent_id"] == retired["id"]
    assert household["community_id"] == report["community_id"]
    community = (await client.get(f"/organizations/{report['community_id']}")).json()
    assert community["settings"]["scoring"]["base_points"] == 60
    unit = (await client.get(f"/organizations/{by_path['units[1]']['id']}")).json()
    assert unit["co_building_community_ids"] == [report["community_id"]]
    assert unit["parent_id"] == report["street_id"]
    subtree = await client.get("/organizations", params={"root_id": report["community_id"]})
    assert len(subtree.json()["items"]) == 15

    conn = await db_conn(members.settings.database_url)
    before = await counts(conn)
    assert before == (EXAMPLE_NODES, EXAMPLE_NODES, EXAMPLE_NODES)
    again = await client.post("/onboarding/communities", json=example())
    assert again.status_code == 200, again.text
    second = again.json()
    assert (second["created"], second["already_present"], second["changed"]) == (
        0,
        EXAMPLE_NODES,
        False,
    )
    assert {o["id"] for o in second["organizations"]} == {o["id"] for o in report["organizations"]}
    assert await counts(conn) == before


async def test_yaml_is_accepted_and_a_known_unit_is_linked(
    members: RunningService, db_conn: Callable[..., Any]
) -> None:
    client = members.client
    headers = {"Content-Type": "application/yaml"}
    first = await client.post(
        "/onboarding/communities", content=EXAMPLE.read_bytes(), headers=headers
    )
    assert first.status_code == 200, first.text
    district_id = first.json()["district_id"]

    # A second community of the same street names the same unit: it is linked, not copied.
    neighbour = {
        "district": {"id": district_id},
        "street": {"name": "拓东街道"},
        "community": {
            "name": "金星社区",
            "organizations": [{"kind": "general_branch", "name": "金星社区党总支"}],
        },
        "units": [{"name": "盘龙供电局党委"}],
    }
    text = yaml.safe_dump(neighbour, allow_unicode=True)
    response = await client.post(
        "/onboarding/communities", content=text.encode(), headers={"Content-Type": "text/yaml"}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    outcomes = {o["path"]: o["outcome"] for o in report["organizations"]}
    assert outcomes == {
        "district": "present",
        "street": "present",
        "community": "created",
        "community.organizations[0]": "created",
        "units[0]": "linked",
    }
    assert (report["created"], report["already_present"], report["linked"]) == (2, 2, 1)
    unit_id = next(o["id"] for o in report["organizations"] if o["path"] == "units[0]")
    unit = (await members.client.get(f"/organizations/{unit_id}")).json()
    assert unit["co_building_community_ids"] == [
        first.json()["community_id"],
        report["community_id"],
    ]
    assert unit["version"] == 2
    conn = await db_conn(members.settings.database_url)
    last = json.loads(await conn.fetchval("SELECT value FROM outbox ORDER BY id DESC LIMIT 1"))
    assert last["type"] == "organization.updated"
    assert last["payload"]["changed"] == ["co_building_community_ids"]


async def test_unreadable_yaml_is_refused(members: RunningService) -> None:
    response = await members.client.post(
        "/onboarding/communities",
        content="district:\n  name: 盘龙区\n street: [拓东".encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unreadable_description"
    response = await members.client.post(
        "/onboarding/communities", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    response = await members.client.post(
        "/onboarding/communities", content=b"x", headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 415


async def test_an_invalid_description_writes_nothing_and_lists_every_problem(
    members: RunningService, db_conn: Callable[..., Any]
) -> None:
    description = example()
    committee = description["community"]["organizations"][0]
    committee["children"][0]["children"][0]["kind"] = "cell"  # no such kind
    committee["children"][2]["name"] = committee["children"][1]["name"]  # a repeated branch
    description["community"]["organizations"].append({"kind": "group", "name": "直属党小组"})
    description["units"][0]["children"] = [{"kind": "street", "name": "错放的街道"}]
    response = await members.client.post("/onboarding/communities", json=description)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_description"
    assert {d["field"] for d in error["details"]} == {
        "community.organizations[0].children[0].children[0].kind"
    }

    # With the kind fixed, every placement and repeat problem is listed at once.
    committee["children"][0]["children"][0]["kind"] = "group"
    description["district"] = {"id": str(uuid.uuid4())}
    response = await members.client.post("/onboarding/communities", json=description)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {
        "community.organizations[0].children[2]",
        "community.organizations[1]",
        "units[0].children[0]",
        "district.id",
    }
    conn = await db_conn(members.settings.database_url)
    assert await counts(conn) == (1, 1, 1)  # the district only


async def test_a_place_must_be_named_or_identified(members: RunningService) -> None:
    description = example()
    description["street"] = {"id": str(uuid.uuid4()), "name": "拓东街道"}
    response = await members.client.post("/onboarding/communities", json=description)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["street"]


async def test_the_api_onboards_under_an_existing_district_within_the_callers_rights(
    members: RunningService, db_conn: Callable[..., Any]
) -> None:
    client = members.client
    # A district that doesn't exist yet: only the operators' command line creates one.
    refused = await client.post(
        "/onboarding/communities", json=example() | {"district": {"name": "五华区"}}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "新建区请由平台运维使用命令行 onboard"

    first = await client.post("/onboarding/communities", json=example())
    assert first.status_code == 200, first.text
    street, community = first.json()["street_id"], first.json()["community_id"]
    neighbour: dict[str, Any] = {
        "district": {"name": DISTRICT},
        "street": {"id": street},
        "community": {"name": "金星社区"},
    }
    # The street's admin onboards a community in their street…
    street_admin = bearer(Grant(Role.street_admin, uuid.UUID(street)))
    done = await client.post("/onboarding/communities", json=neighbour, headers=street_admin)
    assert done.status_code == 200, done.text
    conn = await db_conn(members.settings.database_url)
    actor = await conn.fetchval(
        "SELECT actor FROM audit_log WHERE entity_id = $1", uuid.UUID(done.json()["community_id"])
    )
    assert actor.startswith("account:")
    # …but creates no street and puts no unit directly under the district.
    for other in (
        neighbour | {"street": {"name": "新建街道"}},
        neighbour | {"units": [{"name": "区直单位党委", "parent": "district"}]},
    ):
        response = await client.post("/onboarding/communities", json=other, headers=street_admin)
        assert response.status_code == 403, response.text
    # A community's admin doesn't onboard communities (a street's or district's admin does).
    community_admin = bearer(Grant(Role.community_admin, uuid.UUID(community)))
    response = await client.post(
        "/onboarding/communities",
        json=neighbour | {"community": {"name": "银星社区"}},
        headers=community_admin,
    )
    assert response.status_code == 403
    # A branch secretary never organizes; another district's admin doesn't know the street.
    secretary = bearer(Grant(Role.branch_secretary, uuid.uuid4()))
    response = await client.post("/onboarding/communities", json=neighbour, headers=secretary)
    assert response.status_code == 403
    stranger = bearer(Grant(Role.district_admin, uuid.uuid4()))
    response = await client.post(
        "/onboarding/communities",
        json=neighbour | {"district": {"id": first.json()["district_id"]}},
        headers=stranger,
    )
    assert response.status_code == 422
    assert {d["field"] for d in response.json()["error"]["details"]} == {"district.id", "street.id"}


async def run_cli(database_url: str, *args: str) -> tuple[int, str, str]:
    return await run_members_cli(database_url, "onboard", *args)


async def test_command_line_onboarding(
    fresh_database: Callable[..., Any], db_conn: Callable[..., Any], tmp_path: Path
) -> None:
    url = await fresh_database("members")
    code, out, err = await run_cli(url, str(EXAMPLE))
    assert code == 0, err
    assert "社区入驻完成" in out and f"新建 {EXAMPLE_NODES} 个组织" in out
    code, out, err = await run_cli(url, str(EXAMPLE))
    assert code == 0, err
    assert "没有任何改动" in out
    conn = await db_conn(url)
    assert await counts(conn) == (EXAMPLE_NODES, EXAMPLE_NODES, EXAMPLE_NODES)
    actor = await conn.fetchval("SELECT DISTINCT actor FROM audit_log")
    assert actor.startswith("cli:")

    broken = copy.deepcopy(example())
    broken["community"]["name"] = "另一个社区"
    broken["community"]["organizations"].append({"kind": "street", "name": "错放的街道"})
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    code, out, err = await run_cli(url, str(path))
    assert code == 1
    assert "community.organizations[1]" in err
    assert await counts(conn) == (EXAMPLE_NODES, EXAMPLE_NODES, EXAMPLE_NODES)

    code, _, err = await run_cli(url, str(tmp_path / "missing.yaml"))
    assert code == 2 and "无法读取文件" in err


def chain(levels: int) -> dict[str, Any]:
    """A description whose community holds ``levels`` organizations, each inside the last."""
    node: dict[str, Any] = {"kind": "group", "name": "第1000党小组"}
    for i in range(levels - 1):
        node = {"kind": "branch", "name": f"第{i}党支部", "children": [node]}
    return {
        "district": {"name": DISTRICT},
        "street": {"name": "拓东街道"},
        "community": {"name": "桃源社区", "organizations": [node]},
    }


def deep_json(levels: int) -> bytes:
    """``chain(levels)`` as JSON text, written without recursing (json.dumps would)."""
    place = json.dumps({"district": {"name": DISTRICT}, "street": {"name": "拓东街道"}})
    head = place[:-1] + ', "community": {"name": "桃源社区", "organizations": ['
    opening = '{"kind": "branch", "name": "支部", "children": ['
    return (head + opening * levels + "]}" * levels + "]}}").encode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (deep_json(1_500), "application/json"),
        (deep_json(400), "application/json"),  # within Python's recursion limit
        (b"[" * 5_000 + b"]" * 5_000, "application/yaml"),
        (b"a: " + b"{b: " * 5_000 + b"1" + b"}" * 5_000, "application/yaml"),
    ],
    ids=["json-100k", "tree-1500", "tree-400", "yaml-flow-5000", "yaml-map-5000"],
)
async def test_deep_nesting_answers_422(
    members: RunningService, db_conn: Callable[..., Any], body: bytes, content_type: str
) -> None:
    response = await members.client.post(
        "/onboarding/communities", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "unreadable_description"
    assert error["message"] == "内容嵌套过深（超过 32 层），请检查层级"
    conn = await db_conn(members.settings.database_url)
    assert await counts(conn) == (1, 1, 1)  # the district only


async def test_a_real_tree_is_well_within_the_depth_limit(members: RunningService) -> None:
    # Ten levels is deeper than any community's tree. Branches inside branches break the
    # placement rules (reported for each of the 8 nested ones), not the depth limit.
    response = await members.client.post("/onboarding/communities", json=chain(10))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_description" and len(error["details"]) == 8
    response = await members.client.post("/onboarding/communities", json=example())
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("community: &c {name: 桃源社区, organizations: [*c]}", "包含它自己"),
        ("community: {name: 桃源社区, settings: {a: .nan}}", "NaN"),
        ('community: {name: 桃源社区, settings: {a: "x\\0y"}}', "空字符"),
        ("community: {name: 桃源社区, settings: {a: !!binary aGk=}}", "bytes"),
    ],
)
async def test_yaml_the_database_could_not_store_answers_422(
    members: RunningService, yaml_text: str, message: str
) -> None:
    body = f"district: {{name: {DISTRICT}}}\nstreet: {{name: 拓东街道}}\n{yaml_text}\n"
    response = await members.client.post(
        "/onboarding/communities",
        content=body.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]


async def test_a_yaml_date_in_settings_is_kept_as_written(members: RunningService) -> None:
    description = example()
    description["community"]["settings"]["season_starts"] = "2027-01-01"
    text = yaml.safe_dump(description, allow_unicode=True).replace("'2027-01-01'", "2027-01-01")
    assert "season_starts: 2027-01-01\n" in text  # unquoted: YAML's own date
    response = await members.client.post(
        "/onboarding/communities", content=text.encode(), headers={"Content-Type": "text/yaml"}
    )
    assert response.status_code == 200, response.text
    community = await members.client.get(f"/organizations/{response.json()['community_id']}")
    assert community.json()["settings"]["season_starts"] == "2027-01-01"
