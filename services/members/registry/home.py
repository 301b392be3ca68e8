"""Where a member belongs: the home organization and the community it places them in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.organizations.models import Organization
from services.members.organizations.tree import HOME_KINDS
from shared.contracts.vocabulary import OrgKind
from shared.errors import invalid


@dataclass(frozen=True)
class Placement:
    home: Organization
    district_id: uuid.UUID | None
    community_id: uuid.UUID
    branch_id: uuid.UUID | None


async def place(
    session: AsyncSession,
    home_organization_id: uuid.UUID,
    community_id: uuid.UUID | None,
    *,
    community_must_match: bool = True,
) -> Placement:
    """Check the home organization and work out district, community and branch.

    A community member's community is that of their branch. An in-service member whose
    organization relationship stays with a unit Party organization (双重管理) is placed
    in the residential community they name."""
    home = await session.get(Organization, home_organization_id)
    if home is None or home.status != "active":
        raise invalid("home_organization_id", "组织关系所在党组织不存在或已撤销")
    if OrgKind(home.kind) not in HOME_KINDS:
        raise invalid(
            "home_organization_id", "组织关系只能落在党委、党总支、党支部、党小组或单位党组织"
        )
    if home.kind == OrgKind.unit:
        if community_id is None:
            raise invalid("community_id", "组织关系在单位党组织的党员，请填写居住社区")
        community = await session.get(Organization, community_id)
        if community is None or community.kind != OrgKind.community or community.status != "active":
            raise invalid("community_id", "居住社区不存在或已撤销")
        return Placement(home, community.district_id, community.id, None)
    if home.community_id is None:
        raise invalid("home_organization_id", "该党组织不属于任何社区")
    if community_must_match and community_id not in (None, home.community_id):
        raise invalid("community_id", "居住社区与所在党组织的社区不一致")
    branch_id = home.id if home.kind == OrgKind.branch else None
    if home.kind == OrgKind.group:
        branch_id = home.parent_id
    return Placement(home, home.district_id, home.community_id, branch_id)
