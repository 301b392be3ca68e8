"""An audited merge joins two records that turn out to be one person."""

from __future__ import annotations

from typing import Any

import pytest

from tests.orgtree import Tree, build_tree, member_body
from tests.platform import RunningService, eventually

pytestmark = pytest.mark.integration

ID_NUMBER = "11010519491231002X"
OTHER_ID_NUMBER = "110105194912310038"


@pytest.fixture
async def tree(platform: dict[str, RunningService]) -> Tree:
    return await build_tree(platform["members"].client)


async def register(platform: dict[str, RunningService], body: dict[str, Any]) -> Any:
    response = await platform["members"].client.post("/members", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def merge(
    platform: dict[str, RunningService], survivor: Any, duplicate: Any, **over: Any
) -> Any:
    body = {
        "duplicate_id": duplicate["id"],
        "version": survivor["version"],
        "duplicate_version": duplicate["version"],
        "reason": "同一人重复登记",
        **over,
    }
    return await platform["members"].client.post(f"/members/{survivor['id']}/merge", json=body)


async def test_merge_keeps_one_record_and_the_history_of_both(
    platform: dict[str, RunningService], tree: Tree
) -> None:
    client = platform["members"].client
    survivor = await register(
        platform,
        member_body(
            tree, "王芳", mobile="13800000011", specialties=["书法"], categories=["retired"]
        ),
    )
    duplicate = await register(
        platform,
        member_body(
            tree,
            "王芳",
            id_number=ID_NUMBER,
            address="幸福路2号",
            specialties=["书法", "义诊"],
            categories=["community"],
        ),
    )

    response = await merge(platform, survivor, duplicate)
    assert response.status_code == 200, response.text
    merged = response.json()
    assert merged["id"] == survivor["id"] and merged["version"] == survivor["version"] + 1
    assert merged["mobile"] == "13800000011"  # the survivor's own values stay
    assert merged["id_number"] == ID_NUMBER and merged["address"] == "幸福路2号"
    assert merged["birth_date"] == "1949-12-31"
    assert merged["specialties"] == ["书法", "义诊"]
    assert merged["categories"] == ["retired", "community"]

    absorbed = (await client.get(f"/members/{duplicate['id']}")).json()
    assert absorbed["status"] == "merged" and absorbed["merged_into_id"] == survivor["id"]
    listed = (await client.get("/members", params={"organization_id": str(tree.community)})).json()
    assert [m["id"] for m in listed["items"]] == [survivor["id"]]

    history = (await client.get(f"/members/{survivor['id']}/history")).json()["items"]
    assert history[-1]["action"] == "merged"
    assert history[-1]["after"]["merged_from_id"] == duplicate["id"]
    assert history[-1]["after"]["reason"] == "同一人重复登记"
    old = (await client.get(f"/members/{duplicate['id']}/history")).json()["items"]
    assert [h["action"] for h in old] == ["registered", "merged_into"]

    # The ID number now belongs to the survivor: registering it again is a duplicate.
    again = await client.post("/members", json=member_body(tree, "王芳", id_number=ID_NUMBER))
    assert again.status_code == 409 and again.json()["error"]["data"]["id"] == survivor["id"]

    for name in ("activities", "scoring", "notify"):
        other = platform[name].client

        async def both(other: Any = other) -> Any:
            a = (await other.get(f"/members/{survivor['id']}")).json()
            b = (await other.get(f"/members/{duplicate['id']}")).json()
            return (a, b) if a.get("version") == merged["version"] and "status" in b else None

        seen_survivor, seen_duplicate = await eventually(both)
        assert seen_duplicate["status"] == "merged"
        assert seen_survivor["status"] == "active"


async def test_merge_refusals(platform: dict[str, RunningService], tree: Tree) -> None:
    one = await register(platform, member_body(tree, "赵强", id_number=ID_NUMBER))
    two = await register(platform, member_body(tree, "赵强", id_number=OTHER_ID_NUMBER))
    three = await register(platform, member_body(tree, "赵强", mobile="13800000012"))

    different = await merge(platform, one, two)
    assert different.status_code == 409
    assert different.json()["error"]["code"] == "merge_different_people"

    self_merge = await merge(platform, one, one)
    assert self_merge.status_code == 422

    stale = await merge(platform, one, three, duplicate_version=three["version"] + 5)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"

    blank = await merge(platform, one, three, reason="  ")
    assert blank.status_code == 422

    done = await merge(platform, one, three)
    assert done.status_code == 200, done.text
    again = await merge(platform, done.json(), {**three, "version": three["version"] + 1})
    assert again.status_code == 409 and again.json()["error"]["code"] == "member_inactive"

    missing = await merge(
        platform, one, {"id": "00000000-0000-4000-8000-000000000000", "version": 1}
    )
    assert missing.status_code == 404
