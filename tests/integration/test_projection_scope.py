"""The projections in activities, scoring and notify are scoped as the members service
is: a unit's admin sees the unit's in-service members (双报到), another unit's admin
does not, and the community they reported in to still sees them."""

from __future__ import annotations

import pytest

from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import bearer
from tests.orgtree import build_tree, create_org, member_body
from tests.platform import RunningService, ServiceClient, eventually

pytestmark = pytest.mark.integration

CONSUMERS = ("activities", "scoring", "notify")


async def projected(client: ServiceClient, path: str, **expected: object) -> dict[str, object]:
    """The projection's view at ``path`` (as the test admin) once the service holds it
    with the ``expected`` values."""

    async def seen() -> dict[str, object] | None:
        r = await client.get(path)
        view = r.json() if r.status_code == 200 else {}
        return view if view and all(view[k] == v for k, v in expected.items()) else None

    view: dict[str, object] = await eventually(seen)
    return view


async def test_unit_admin_sees_its_in_service_member_in_every_projection(
    platform: dict[str, RunningService],
) -> None:
    members = platform["members"].client
    tree = await build_tree(members)
    other_unit = await create_org(
        members,
        "unit",
        "区卫健委党委",
        tree.district,
        co_building_community_ids=[str(tree.community)],
    )
    body = member_body(
        tree,
        "王老师",
        home_organization_id=str(tree.unit),
        community_id=str(tree.community),
        categories=["in_service"],
    )
    response = await members.post("/members", json=body)
    assert response.status_code == 201, response.text
    member_id = response.json()["id"]
    response = await members.post(
        f"/members/{member_id}/report-in", json={"community_id": str(tree.community)}
    )
    assert response.status_code == 201, response.text

    unit_admin = bearer(Grant(Role.unit_admin, tree.unit))
    other_unit_admin = bearer(Grant(Role.unit_admin, other_unit))
    community_admin = bearer(Grant(Role.community_admin, tree.community))
    # The reference: the members service itself.
    response = await members.get(f"/members/{member_id}", headers=unit_admin)
    assert response.status_code == 200, response.text
    version = response.json()["version"]
    assert (await members.get(f"/members/{member_id}", headers=other_unit_admin)).status_code == 404

    for name in CONSUMERS:
        client = platform[name].client
        # Both units must be projected too, or the answers below would prove nothing.
        for unit in (tree.unit, other_unit):
            await projected(client, f"/organizations/{unit}")
        view = await projected(client, f"/members/{member_id}", version=version)
        assert view["home_organization_id"] == str(tree.unit), name
        assert view["community_id"] == str(tree.community), name
        assert view["branch_id"] is None, name

        response = await client.get(f"/members/{member_id}", headers=unit_admin)
        assert response.status_code == 200, (name, response.text)
        assert response.json() == view, name
        response = await client.get(f"/members/{member_id}", headers=other_unit_admin)
        assert response.status_code == 404, (name, response.text)
        assert response.json()["error"]["message"] == "未找到该党员", name
        response = await client.get(f"/members/{member_id}", headers=community_admin)
        assert response.status_code == 200, (name, response.text)
