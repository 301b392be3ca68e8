"""The deepest tree the placement rules allow works everywhere (listing, figures, moves),
and nothing can be created below it: a deeper organization is a clear 422."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from services.members.settings import MembersSettings
from shared.contracts.vocabulary import OrgKind
from tests.orgtree import create_org
from tests.platform import RunningService, running

pytestmark = pytest.mark.integration

CHAIN = ["district", "street", "community", "committee", "general_branch", "branch", "group"]


@pytest.fixture
async def members(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    async with running("members", await settings_for(MembersSettings), worker=False) as service:
        yield service


async def test_below_the_deepest_level_nothing_can_be_created(members: RunningService) -> None:
    client = members.client
    ids: dict[str, Any] = {}
    parent = None
    for kind in CHAIN:
        parent = ids[kind] = await create_org(client, kind, f"第七级以内的{kind}", parent)
    for kind in OrgKind:
        response = await client.post(
            "/organizations", json={"kind": kind, "name": "更深一级", "parent_id": str(parent)}
        )
        assert response.status_code == 422, (kind, response.text)
        assert response.json()["error"]["code"] == "tree_rule"
        assert "党小组之下" in response.json()["error"]["message"] or kind == "district"

    listing = await client.get("/organizations", params={"root_id": str(ids["district"])})
    assert listing.status_code == 200, listing.text
    figures = await client.get(f"/organizations/{ids['community']}/figures")
    assert figures.status_code == 200, figures.text

    # The general branch with its branch and group moves to a second committee.
    other = await create_org(client, "committee", "另一个党委", ids["community"])
    moved = await client.post(
        f"/organizations/{ids['general_branch']}/move",
        json={"version": 1, "parent_id": str(other)},
    )
    assert moved.status_code == 200, moved.text
    group = (await client.get(f"/organizations/{ids['group']}")).json()
    assert len(group["ancestor_ids"]) == 6 and str(other) in group["ancestor_ids"]
