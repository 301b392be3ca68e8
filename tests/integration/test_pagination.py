"""Every list of the members service pages one way — ``{"items", "next_cursor"}`` with
``limit`` and ``cursor`` — and none is cut short silently: following ``next_cursor``
reads every row once, and a cursor that isn't one answers 400."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import pytest

from services.members.settings import MembersSettings
from tests.orgtree import Tree, build_tree, create_org, member_body
from tests.platform import RunningService, running

pytestmark = pytest.mark.integration


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
    return response.json()


async def every_page(
    members: RunningService, path: str, limit: int, **params: Any
) -> list[list[dict[str, Any]]]:
    """The pages of a list, following ``next_cursor`` to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        query = params | {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = ok(await members.client.get(path, params=query))
        assert set(page) == {"items", "next_cursor"}, page
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(page["items"]) == limit  # a cursor only after a full page


def ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    found = [i["id"] for page in pages for i in page]
    assert len(found) == len(set(found)), "a row on two pages"
    return found


async def test_organizations_and_children_page_to_the_end(
    members: RunningService, tree: Tree
) -> None:
    for i in range(5):
        await create_org(members.client, "branch", f"党支部{i}", tree.committee)
    whole = ok(await members.client.get("/organizations", params={"limit": 200}))
    assert whole["next_cursor"] is None
    pages = await every_page(members, "/organizations", 3)
    assert ids(pages) == [o["id"] for o in whole["items"]]  # the same order, nothing lost
    assert len(pages) == -(-len(whole["items"]) // 3)
    children = await every_page(members, f"/organizations/{tree.committee}/children", 2)
    names = [o["name"] for page in children for o in page]
    assert len(names) == 7 and names == sorted(names)
    assert len(ids(children)) == 7


async def test_report_ins_of_a_community_a_unit_and_a_member_page(
    members: RunningService, tree: Tree
) -> None:
    client = members.client
    teachers = []
    for i in range(5):
        body = member_body(
            tree,
            f"老师{i}",
            home_organization_id=str(tree.unit),
            community_id=str(tree.community),
        )
        teachers.append(ok(await client.post("/members", json=body), 201)["id"])
    day = date(2026, 1, 5)
    for i, teacher in enumerate(teachers):
        reported = (day + timedelta(days=i % 2)).isoformat()  # ties broken by time and id
        body = {"community_id": str(tree.community), "reported_on": reported}
        ok(await client.post(f"/members/{teacher}/report-in", json=body), 201)
    for path in (f"/communities/{tree.community}/report-ins", f"/units/{tree.unit}/report-ins"):
        pages = await every_page(members, path, 2)
        assert len(pages) == 3 and set(ids(pages)) != set()
        assert len(ids(pages)) == 5
        dates = [r["reported_on"] for page in pages for r in page]
        assert dates == sorted(dates, reverse=True)  # newest first
    # One member's report-ins, ended and again.
    teacher = teachers[0]
    for _ in range(2):
        (active,) = ok(await client.get(f"/members/{teacher}/report-ins", params={"limit": 1}))[
            "items"
        ][:1]
        ok(await client.post(f"/report-ins/{active['id']}/end", json={"reason": "换社区"}))
        body = {"community_id": str(tree.community)}
        ok(await client.post(f"/members/{teacher}/report-in", json=body), 201)
    own = await every_page(members, f"/members/{teacher}/report-ins", 2)
    assert len(ids(own)) == 3


async def test_a_members_history_pages_oldest_first(members: RunningService, tree: Tree) -> None:
    client = members.client
    member = ok(await client.post("/members", json=member_body(tree, "赵六")), 201)
    for version in range(1, 6):
        change = {"version": version, "post": f"楼长{version}"}
        ok(await client.patch(f"/members/{member['id']}", json=change))
    pages = await every_page(members, f"/members/{member['id']}/history", 4)
    actions = [h["action"] for page in pages for h in page]
    assert actions == ["registered"] + ["updated"] * 5
    assert [h["after"]["post"] for h in pages[-1]] == ["楼长4", "楼长5"]


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


async def test_a_cursor_that_isnt_one_answers_400(members: RunningService, tree: Tree) -> None:
    client = members.client
    teacher = ok(
        await client.post(
            "/members",
            json=member_body(
                tree,
                "王老师",
                home_organization_id=str(tree.unit),
                community_id=str(tree.community),
            ),
        ),
        201,
    )["id"]
    unit = await create_org(client, "unit", "区卫健委党委", tree.district)
    day, at, some = "2026-01-05", "2026-01-05T08:00:00+08:00", str(uuid.uuid4())
    # Each list with a cursor it accepts, and the type of each of the key's values.
    lists: dict[str, tuple[list[Any], str]] = {
        "/organizations": ([2, "x", some], "isu"),
        f"/organizations/{tree.committee}/children": (["x", some], "su"),
        f"/communities/{tree.community}/report-ins": ([day, at, some], "dtu"),
        f"/units/{unit}/report-ins": ([day, "2026-01-05T08:00:00Z", some], "dtu"),
        f"/members/{teacher}/report-ins": ([day, at, some], "dtu"),
        f"/members/{teacher}/history": ([1], "i"),
    }
    strangers: list[Any] = [
        True,
        None,
        1.5,
        [],
        {},
        2**70,
        "x",
        "\u0000",
        "2026-02-30",
        "2026-01-05T08:00:00",  # a time without a zone
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC
    ]
    for path, (good, kinds) in lists.items():
        assert ok(await client.get(path, params={"cursor": cursor_of(good)})) is not None, path
        bad = ["not base64!", cursor_of({"a": 1}), cursor_of(good[:-1]), cursor_of([*good, 1])]
        for i, kind in enumerate(kinds):
            for value in strangers:
                if kind == "s" and isinstance(value, str) and "\u0000" not in value:
                    continue  # any other text is a name
                bad.append(cursor_of([*good[:i], value, *good[i + 1 :]]))
        for cursor in bad:
            response = await client.get(path, params={"cursor": cursor})
            assert response.status_code == 400, (path, cursor, response.text)
            error = response.json()["error"]
            assert error["code"] == "invalid_cursor" and error["details"][0]["field"] == "cursor"
        too_many = await client.get(path, params={"limit": 201})
        assert too_many.status_code == 422, path
