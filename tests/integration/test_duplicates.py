"""One person, one record, without a look-up of other communities' members: registering
(or changing a record into) someone already registered answers with the record only
to a caller who can read it; anyone else learns where the person is registered and
whom to ask — through the API, the roster import and a unit's sync."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook

from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import bearer
from tests.orgtree import Tree, build_tree, member_body
from tests.platform import RunningService

pytestmark = pytest.mark.integration

ID_NUMBER = "11010519491231002X"
MOBILE = "13812341234"
ADDRESS = "幸福路1号3栋201室"
# What nobody outside the record's sight may learn from an answer.
SECRETS = ("李秀英", "1949-12-31", "female", MOBILE, ADDRESS, "第一党支部")
ELSEWHERE = "该党员已在「幸福社区」登记"


@pytest.fixture
async def tree(platform: dict[str, RunningService]) -> Tree:
    return await build_tree(platform["members"].client)


@pytest.fixture
async def existing(platform: dict[str, RunningService], tree: Tree) -> dict[str, Any]:
    body = member_body(tree, "李秀英", id_number=ID_NUMBER, mobile=MOBILE, address=ADDRESS)
    response = await platform["members"].client.post("/members", json=body)
    assert response.status_code == 201, response.text
    member: dict[str, Any] = response.json()
    return member


def hidden(response: Any, existing: dict[str, Any]) -> str:
    """The answer says where the person is registered and nothing of the record."""
    text = response.text
    assert existing["id"] not in text
    for secret in SECRETS:
        assert secret not in text, secret
    return text


async def test_registration_outside_sight_names_only_the_community(
    platform: dict[str, RunningService], tree: Tree, existing: dict[str, Any]
) -> None:
    client = platform["members"].client
    neighbour = bearer(Grant(Role.community_admin, tree.other_community))
    elsewhere = member_body(tree, "张三", home_organization_id=str(tree.other_branch))
    for duplicate in (
        elsewhere | {"id_number": ID_NUMBER.lower()},
        elsewhere | {"name": "李秀英", "mobile": MOBILE},
    ):
        response = await client.post("/members", json=duplicate, headers=neighbour)
        assert response.status_code == 409, response.text
        hidden(response, existing)
        error = response.json()["error"]
        assert error["code"] == "duplicate_member"
        assert error["message"].startswith(ELSEWHERE)
        assert "请联系该社区" in error["message"]
        assert error["data"] == {"community_name": "幸福社区"}
    messages = [
        (await client.post("/members", json=d, headers=neighbour)).json()["error"]["message"]
        for d in (
            elsewhere | {"id_number": ID_NUMBER},
            elsewhere | {"name": "李秀英", "mobile": MOBILE},
        )
    ]
    by_id, by_name_mobile = messages
    assert "身份证号相同" in by_id and "姓名和手机号都相同" in by_name_mobile


async def test_registration_inside_sight_answers_with_the_record(
    platform: dict[str, RunningService], tree: Tree, existing: dict[str, Any]
) -> None:
    client = platform["members"].client
    again = member_body(tree, "李秀英二", id_number=ID_NUMBER)
    own = await client.post(
        "/members", json=again, headers=bearer(Grant(Role.community_admin, tree.community))
    )
    assert own.status_code == 409
    data = own.json()["error"]["data"]
    assert data["id"] == existing["id"] and data["name"] == "李秀英"
    assert (data["mobile"], data["address"]) == (MOBILE, ADDRESS)
    assert own.json()["error"]["message"] == "本区已有相同身份证号的党员记录，请勿重复登记"
    # The district sees the record, its personal data masked: an error answer keeps no
    # audit entry, so the full read is the (audited) GET of the id it names.
    district = await client.post(
        "/members", json=again, headers=bearer(Grant(Role.district_admin, tree.district))
    )
    assert district.status_code == 409
    data = district.json()["error"]["data"]
    assert data["id"] == existing["id"] and data["birth_date"] == "1949-12-31"
    assert (data["mobile"], data["id_number"]) == ("138****1234", "1101**********002X")


async def test_a_change_into_someone_registered_elsewhere_names_only_the_community(
    platform: dict[str, RunningService], tree: Tree, existing: dict[str, Any]
) -> None:
    client = platform["members"].client
    neighbour = bearer(Grant(Role.community_admin, tree.other_community))
    body = member_body(tree, "王五", home_organization_id=str(tree.other_branch))
    own = (await client.post("/members", json=body, headers=neighbour)).json()
    change = {"version": own["version"], "id_number": ID_NUMBER}
    response = await client.patch(f"/members/{own['id']}", json=change, headers=neighbour)
    assert response.status_code == 409, response.text
    hidden(response, existing)
    assert response.json()["error"]["message"].startswith(ELSEWHERE)
    # Inside sight, the record as before.
    response = await client.patch(f"/members/{own['id']}", json=change)
    assert response.json()["error"]["data"]["id"] == existing["id"]


def roster(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", "手机号", "所在党组织"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_a_roster_row_naming_someone_registered_elsewhere(
    platform: dict[str, RunningService], tree: Tree, existing: dict[str, Any]
) -> None:
    client = platform["members"].client
    rows = [
        ["张三", ID_NUMBER, None, "和平社区党支部"],
        ["李秀英", None, MOBILE, "和平社区党支部"],
    ]
    neighbour = bearer(Grant(Role.community_admin, tree.other_community))
    response = await client.post(
        f"/communities/{tree.other_community}/roster/import",
        files={"file": ("台账.xlsx", roster(rows), "application/octet-stream")},
        params={"dry_run": "true", "partial": "true"},
        headers=neighbour,
    )
    assert response.status_code == 200, response.text
    hidden(response, existing)
    errors = response.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "身份证号"), (3, "手机号")]
    for error in errors:
        assert error["message"] == (
            f"{ELSEWHERE}，是同一人，未重复导入；如需调整其信息，请联系该社区"
        )
    # Inside sight (the street sees both communities), today's answer.
    response = await client.post(
        f"/communities/{tree.other_community}/roster/import",
        files={"file": ("台账.xlsx", roster(rows[:1]), "application/octet-stream")},
        params={"dry_run": "true", "partial": "true"},
        headers=bearer(Grant(Role.street_admin, tree.street)),
    )
    (error,) = response.json()["errors"]
    assert error["message"] == "已有相同身份证号的党员记录，是同一人，未重复导入"
    # In the record's own community the row is recognised as already registered.
    response = await client.post(
        f"/communities/{tree.community}/roster/import",
        files={"file": ("台账.xlsx", roster([["张三", ID_NUMBER, None, "第一党支部"]]), "x")},
        params={"dry_run": "true", "partial": "true"},
        headers=bearer(Grant(Role.community_admin, tree.community)),
    )
    assert response.json()["errors"] == [] and response.json()["already_registered"] == [2]


async def test_a_units_sync_links_a_community_member_without_reading_the_record(
    platform: dict[str, RunningService], tree: Tree, existing: dict[str, Any]
) -> None:
    client = platform["members"].client
    created = await client.post(f"/units/{tree.unit}/api-keys", json={"name": "人事系统"})
    key = {"Authorization": f"Bearer {created.json()['key']}"}
    row = {
        "external_id": "E1",
        "name": "李修英",  # the unit's spelling and contacts differ from the community's
        "mobile": "13900001111",
        "address": "单位宿舍1号",
        "id_number": ID_NUMBER,
        "post": "教师",
        "community_id": str(tree.community),
    }

    async def sync(members: list[dict[str, Any]], **options: Any) -> Any:
        body = {"mode": "full", "members": members, **options}
        response = await client.post(f"/units/{tree.unit}/sync", json=body, headers=key)
        assert response.status_code == 200, response.text
        return response

    preview = await sync([row], dry_run=True)
    (linked,) = preview.json()["linked"]
    assert linked["member_id"] is None and linked["name"] is None and linked["changed"] == []
    assert linked["note"].startswith(ELSEWHERE) and linked["external_id"] == "E1"
    hidden(preview, existing)
    hidden(await sync([row]), existing)
    # Later syncs: an update and the unlinking say no more.
    (updated,) = (await sync([row | {"post": "校长"}])).json()["updated"]
    assert updated["member_id"] is None and updated["changed"] == []
    gone = await sync([], allow_empty=True)
    (unlinked,) = gone.json()["unlinked"]
    assert unlinked["member_id"] is None and unlinked["note"].startswith(ELSEWHERE)
    hidden(gone, existing)
    # The district's view of the same sync names the record (it can read it).
    client.grants.append(Grant(Role.unit_admin, tree.unit))
    body = {"mode": "full", "members": [row], "dry_run": True}
    seen = (await client.post(f"/units/{tree.unit}/sync", json=body)).json()
    assert seen["linked"][0]["member_id"] == existing["id"]
    # The unit's rows never rewrote the community's record: only the post it knows.
    record = (await client.get(f"/members/{existing['id']}")).json()
    assert record["name"] == existing["name"] and record["mobile"] == existing["mobile"]
    assert record["post"] == "校长"
