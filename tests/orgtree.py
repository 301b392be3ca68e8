"""A small organization tree built through the members API, for tests that need one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from services.members.organizations.schemas import OrganizationCreate
from services.members.organizations.service import create_organization
from shared.auth.principal import Grant
from shared.auth.roles import Role
from shared.db import unit_of_work
from shared.writes import write_context
from tests.platform import ServiceClient


@dataclass(frozen=True)
class Tree:
    district: uuid.UUID
    street: uuid.UUID
    community: uuid.UUID
    committee: uuid.UUID
    branch: uuid.UUID
    retired_branch: uuid.UUID
    group: uuid.UUID
    other_community: uuid.UUID
    other_branch: uuid.UUID
    unit: uuid.UUID


async def create_district(client: ServiceClient, name: str) -> uuid.UUID:
    """A new district, created as the operators do (the ``onboard`` CLI runs the same
    service code); the client's grants then include its district admin."""
    runtime = client.service.runtime
    async with unit_of_work(runtime.sessions) as session:
        org = await create_organization(
            session,
            OrganizationCreate.model_validate({"kind": "district", "name": name}),
            write_context(runtime.spec, runtime.settings, actor="cli:test"),
        )
    client.grants.append(Grant(Role.district_admin, org.id))
    return org.id


async def create_org(
    client: httpx.AsyncClient, kind: str, name: str, parent: uuid.UUID | None, **extra: Any
) -> uuid.UUID:
    if kind == "district":
        assert isinstance(client, ServiceClient)
        return await create_district(client, name)
    body = {"kind": kind, "name": name, "parent_id": str(parent) if parent else None, **extra}
    response = await client.post("/organizations", json=body)
    assert response.status_code == 201, response.text
    org_id = uuid.UUID(response.json()["id"])
    if kind == "community" and isinstance(client, ServiceClient):
        # The test acts as the admin of each community it builds, who alone sees members'
        # mobiles, ID numbers and addresses in full.
        client.grants.append(Grant(Role.community_admin, org_id))
    return org_id


async def build_tree(client: httpx.AsyncClient) -> Tree:
    """区 → 街道 → 幸福社区 (党委 → 第一党支部 → 第一党小组; 退休党员支部) and 和平社区
    (党总支 → 党支部); a unit Party organization co-building with 幸福社区."""
    tag = uuid.uuid4().hex[:6]  # names stay unique if a test builds two trees
    district = await create_org(client, "district", f"示范区{tag}", None)
    street = await create_org(client, "street", "东城街道", district)
    community = await create_org(client, "community", "幸福社区", street)
    committee = await create_org(client, "committee", "幸福社区党委", community)
    branch = await create_org(client, "branch", "第一党支部", committee)
    retired = await create_org(client, "branch", "退休党员支部", committee)
    group = await create_org(client, "group", "第一党小组", branch)
    other = await create_org(client, "community", "和平社区", street)
    general = await create_org(client, "general_branch", "和平社区党总支", other)
    other_branch = await create_org(client, "branch", "和平社区党支部", general)
    unit = await create_org(
        client, "unit", "区教育局党委", district, co_building_community_ids=[str(community)]
    )
    return Tree(
        district, street, community, committee, branch, retired, group, other, other_branch, unit
    )


def member_body(tree: Tree, name: str = "张三", **fields: Any) -> dict[str, Any]:
    return {"name": name, "home_organization_id": str(tree.branch), **fields}
