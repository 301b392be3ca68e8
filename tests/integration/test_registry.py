"""The member registry through the API: fields, validation, one person one record,
history, optimistic concurrency, moves and deactivation, and the projections following."""

from __future__ import annotations

from typing import Any

import pytest

from tests.orgtree import Tree, build_tree, member_body
from tests.platform import RunningService, eventually

pytestmark = pytest.mark.integration

ID_NUMBER = "11010519491231002X"


@pytest.fixture
async def tree(platform: dict[str, RunningService]) -> Tree:
    return await build_tree(platform["members"].client)


async def register(platform: dict[str, RunningService], body: dict[str, Any]) -> Any:
    return await platform["members"].client.post("/members", json=body)


def fields_of(response: Any) -> set[str]:
    return {d["field"] for d in response.json()["error"]["details"]}


async def test_full_registration_places_the_member_and_fills_from_the_id_number(
    platform: dict[str, RunningService], tree: Tree
) -> None:
    body = member_body(
        tree,
        "李秀英",
        id_number=ID_NUMBER.lower(),
        mobile="+86 138 0000 0002",
        address="幸福路1号",
        work_unit="区第一中学",
        post="教师",
        education="bachelor",
        specialties=["双语培训", "政策宣传"],
        interests=["书法"],
        joined_at="1975-07-01",
        full_member_at="1976-07-01",
        categories=["retired", "community", "retired"],
        home_organization_id=str(tree.group),
        lives_in_area=False,
    )
    response = await register(platform, body)
    assert response.status_code == 201, response.text
    member = response.json()
    assert member["id_number"] == ID_NUMBER
    assert member["mobile"] == "13800000002"
    assert member["birth_date"] == "1949-12-31" and member["gender"] == "female"
    assert member["categories"] == ["retired", "community"]
    assert member["community_id"] == str(tree.community)
    assert member["district_id"] == str(tree.district)
    assert member["branch_id"] == str(tree.branch)  # a group's member belongs to its branch
    assert member["lives_in_area"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"mobile": "12345678901"}, "mobile"),
        ({"mobile": "010-62345678"}, "mobile"),
        ({"birth_date": "1990-02-30"}, "birth_date"),
        ({"categories": ["tourist"]}, "categories.0"),
        ({"education": "kindergarten"}, "education"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
async def test_bad_input_answers_422_on_the_field(
    platform: dict[str, RunningService], tree: Tree, change: dict[str, Any], field: str
) -> None:
    response = await register(platform, member_body(tree) | change)
    assert response.status_code == 422, response.text
    assert field in fields_of(response)
    assert response.json()["error"]["details"][0]["message"]


async def test_home_organization_rules(platform: dict[str, RunningService], tree: Tree) -> None:
    nowhere = "00000000-0000-4000-8000-00000000dead"
    # Unknown, like any organization outside the caller's grants: not found.
    unknown = await register(platform, member_body(tree, home_organization_id=nowhere))
    assert unknown.status_code == 404
    community = str(tree.community)
    not_a_home = await register(platform, member_body(tree, home_organization_id=community))
    assert not_a_home.status_code == 422 and fields_of(not_a_home) == {"home_organization_id"}
    unit_without_residence = await register(
        platform, member_body(tree, home_organization_id=str(tree.unit))
    )
    assert fields_of(unit_without_residence) == {"community_id"}
    in_service = await register(
        platform,
        member_body(
            tree,
            "在职党员",
            home_organization_id=str(tree.unit),
            community_id=str(tree.community),
            categories=["in_service"],
        ),
    )
    assert in_service.status_code == 201, in_service.text
    assert in_service.json()["community_id"] == str(tree.community)
    mismatch = await register(
        platform, member_body(tree, "错社区", community_id=str(tree.other_community))
    )
    assert fields_of(mismatch) == {"community_id"}


async def test_one_person_one_record(platform: dict[str, RunningService], tree: Tree) -> None:
    first = await register(
        platform, member_body(tree, "王建国", id_number=ID_NUMBER, mobile="13800000001")
    )
    assert first.status_code == 201
    same_id = await register(
        platform,
        member_body(
            tree, "王建国二", id_number=ID_NUMBER, home_organization_id=str(tree.other_branch)
        ),
    )
    assert same_id.status_code == 409
    error = same_id.json()["error"]
    assert error["code"] == "duplicate_member"
    assert error["data"]["id"] == first.json()["id"]
    same_name_mobile = await register(platform, member_body(tree, "王建国", mobile="13800000001"))
    assert same_name_mobile.status_code == 409
    assert same_name_mobile.json()["error"]["data"]["id"] == first.json()["id"]
    other_person = await register(platform, member_body(tree, "王建国", mobile="13800000009"))
    assert other_person.status_code == 201


async def test_update_history_and_stale_version(
    platform: dict[str, RunningService], tree: Tree
) -> None:
    client = platform["members"].client
    member = (await register(platform, member_body(tree, "赵六"))).json()
    updated = await client.patch(
        f"/members/{member['id']}", json={"version": 1, "mobile": "13800000006", "post": "楼长"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    stale = await client.patch(f"/members/{member['id']}", json={"version": 1, "post": "组长"})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version"
    history = (await client.get(f"/members/{member['id']}/history")).json()["items"]
    assert [h["action"] for h in history] == ["registered", "updated"]
    assert history[1]["before"]["post"] is None and history[1]["after"]["post"] == "楼长"

    async def renamed() -> bool:
        view = await platform["scoring"].client.get(f"/members/{member['id']}")
        return view.status_code == 200 and view.json()["version"] == 2

    await eventually(renamed)


async def test_move_within_community_and_refusal_across(
    platform: dict[str, RunningService], tree: Tree
) -> None:
    client = platform["members"].client
    member = (await register(platform, member_body(tree, "钱七"))).json()
    moved = await client.patch(
        f"/members/{member['id']}",
        json={"version": 1, "home_organization_id": str(tree.retired_branch)},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["branch_id"] == str(tree.retired_branch)
    across = await client.patch(
        f"/members/{member['id']}",
        json={"version": 2, "home_organization_id": str(tree.other_branch)},
    )
    assert across.status_code == 422 and fields_of(across) == {"home_organization_id"}
    history = (await client.get(f"/members/{member['id']}/history")).json()["items"]
    assert [h["action"] for h in history] == ["registered", "moved"]

    async def followed() -> bool:
        view = await platform["activities"].client.get(f"/members/{member['id']}")
        return view.status_code == 200 and view.json()["branch_id"] == str(tree.retired_branch)

    await eventually(followed)


async def test_deactivation_keeps_the_record(
    platform: dict[str, RunningService], tree: Tree
) -> None:
    client = platform["members"].client
    member = (await register(platform, member_body(tree, "孙八"))).json()
    gone = await client.post(
        f"/members/{member['id']}/deactivate",
        json={"version": 1, "status": "deceased", "reason": "因病去世"},
    )
    assert gone.status_code == 200 and gone.json()["status"] == "deceased"
    again = await client.patch(f"/members/{member['id']}", json={"version": 2, "post": "x"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "member_inactive"
    assert (await client.get(f"/members/{member['id']}")).json()["status"] == "deceased"

    async def followed() -> bool:
        view = await platform["notify"].client.get(f"/members/{member['id']}")
        return view.status_code == 200 and view.json()["status"] == "deceased"

    await eventually(followed)
