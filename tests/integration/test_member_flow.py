"""A member registered through the members API reaches the other three services."""

from __future__ import annotations

import uuid

import pytest

from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import bearer
from tests.orgtree import build_tree, member_body
from tests.platform import RunningService, eventually

pytestmark = pytest.mark.integration

CONSUMERS = ("activities", "scoring", "notify")


async def test_registered_member_reaches_every_projection(
    platform: dict[str, RunningService],
) -> None:
    tree = await build_tree(platform["members"].client)
    community, branch = tree.community, tree.branch
    response = await platform["members"].client.post(
        "/members", json=member_body(tree), headers={"X-Correlation-ID": "corr-test-1"}
    )
    assert response.status_code == 201, response.text
    member = response.json()
    assert (await platform["members"].client.get(f"/members/{member['id']}")).json() == member

    for name in CONSUMERS:
        client = platform[name].client

        async def seen(client=client):
            r = await client.get(f"/members/{member['id']}")
            return r.json() if r.status_code == 200 else None

        view = await eventually(seen)
        assert view["name"] == "张三"
        assert view["community_id"] == str(community)
        assert view["branch_id"] == str(branch)
        assert view["version"] == 1


async def test_invalid_member_is_refused_with_the_common_error_body(
    platform: dict[str, RunningService],
) -> None:
    response = await platform["members"].client.post(
        "/members",
        json={"name": "  ", "home_organization_id": "not-a-uuid"},
        headers=bearer(Grant(Role.district_admin, uuid.uuid4())),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    fields = {d["field"] for d in error["details"]}
    assert {"name", "home_organization_id"} <= fields
    assert error["request_id"] == response.headers["x-request-id"]


async def test_unknown_member_answers_404(platform: dict[str, RunningService]) -> None:
    for service in platform.values():
        response = await service.client.get(f"/members/{uuid.uuid4()}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
