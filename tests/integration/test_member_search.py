"""Listing, searching and paging the registry; structure figures of a subtree."""

from __future__ import annotations

from typing import Any

import pytest

from tests.orgtree import Tree, build_tree, member_body
from tests.platform import RunningService

pytestmark = pytest.mark.integration

PEOPLE: list[tuple[str, str, dict[str, Any]]] = [
    # name, branch attr, extra fields
    (
        "甲一",
        "branch",
        {
            "birth_date": "1950-01-01",
            "categories": ["retired"],
            "education": "secondary",
            "gender": "male",
            "mobile": "13900000001",
        },
    ),
    (
        "乙二",
        "branch",
        {
            "birth_date": "1970-06-01",
            "categories": ["community", "veteran"],
            "education": "bachelor",
            "gender": "female",
            "specialties": ["调解"],
        },
    ),
    (
        "丙三",
        "group",
        {
            "birth_date": "1990-06-01",
            "categories": ["community"],
            "education": "bachelor",
            "gender": "male",
            "lives_in_area": False,
        },
    ),
    (
        "丁四",
        "retired_branch",
        {"birth_date": "1966-12-31", "categories": ["retired"], "specialties": ["调解", "书法"]},
    ),
    ("戊五", "other_branch", {"birth_date": "1980-01-01", "categories": ["community"]}),
]


@pytest.fixture
async def seeded(platform: dict[str, RunningService]) -> tuple[Tree, dict[str, Any]]:
    client = platform["members"].client
    tree = await build_tree(client)
    people = {}
    for name, home, extra in PEOPLE:
        body = member_body(tree, name, home_organization_id=str(getattr(tree, home)), **extra)
        response = await client.post("/members", json=body)
        assert response.status_code == 201, response.text
        people[name] = response.json()
    unit_member = member_body(
        tree,
        "己六",
        home_organization_id=str(tree.unit),
        community_id=str(tree.community),
        categories=["in_service"],
        birth_date="1985-03-03",
    )
    response = await client.post("/members", json=unit_member)
    assert response.status_code == 201, response.text
    people["己六"] = response.json()
    return tree, people


async def names(client: Any, **params: Any) -> list[str]:
    response = await client.get("/members", params={"sort": "name", **params})
    assert response.status_code == 200, response.text
    return [m["name"] for m in response.json()["items"]]


async def test_filters(platform: dict[str, RunningService], seeded: Any) -> None:
    tree, people = seeded
    client = platform["members"].client
    in_community = await names(client, organization_id=str(tree.community))
    assert sorted(in_community) == sorted(["甲一", "乙二", "丙三", "丁四", "己六"])
    assert await names(client, organization_id=str(tree.branch)) == sorted(["甲一", "乙二", "丙三"])
    assert await names(client, organization_id=str(tree.other_community)) == ["戊五"]
    assert sorted(await names(client, category="retired")) == sorted(["甲一", "丁四"])
    assert sorted(await names(client, specialty="调解")) == sorted(["乙二", "丁四"])
    assert await names(client, q="丙") == ["丙三"]
    assert await names(client, q="1390000") == ["甲一"]
    await client.post(
        f"/members/{people['戊五']['id']}/deactivate", json={"version": 1, "status": "left"}
    )
    assert await names(client, status="left") == ["戊五"]
    bad = await client.get("/members", params={"category": "tourist"})
    assert bad.status_code == 422


async def test_cursor_pagination_walks_every_member_once(
    platform: dict[str, RunningService], seeded: Any
) -> None:
    tree, _ = seeded
    client = platform["members"].client
    for sort in ("name", "created_at", "joined_at"):
        for descending in (False, True):
            seen: list[str] = []
            cursor = None
            while True:
                params: dict[str, Any] = {
                    "organization_id": str(tree.street),
                    "limit": 2,
                    "sort": sort,
                    "descending": descending,
                }
                if cursor:
                    params["cursor"] = cursor
                page = (await client.get("/members", params=params)).json()
                seen += [m["name"] for m in page["items"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert sorted(seen) == sorted(["甲一", "乙二", "丙三", "丁四", "戊五", "己六"])
            assert len(seen) == len(set(seen))
    by_name = await names(client, organization_id=str(tree.street))
    assert by_name == sorted(by_name)
    bad = await client.get("/members", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["field"] == "cursor"


async def test_structure_figures(platform: dict[str, RunningService], seeded: Any) -> None:
    tree, _ = seeded
    client = platform["members"].client
    response = await client.get(
        f"/organizations/{tree.community}/figures", params={"as_of": "2026-11-22"}
    )
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["total"] == 5
    # ages on 2026-11-22: 76, 56, 36, 59, 41 (unit member)
    assert figures["by_age"] == {"60_plus": 1, "50_59": 2, "under_50": 2}
    assert figures["by_category"] == {"retired": 2, "community": 2, "veteran": 1, "in_service": 1}
    assert figures["by_education"] == {"secondary": 1, "bachelor": 2, "unknown": 2}
    assert figures["by_gender"] == {"male": 2, "female": 1, "unknown": 2}
    assert figures["by_residence"] == {"inside": 4, "outside": 1}
    assert figures["units"] == [
        {
            "unit_id": str(tree.unit),
            "name": "区教育局党委",
            "members": 1,
            "in_service_members": 1,
            "reported_in": 0,
            "rate": 0.0,
        }
    ]
    missing = await client.get("/organizations/00000000-0000-4000-8000-00000000dead/figures")
    assert missing.status_code == 404
