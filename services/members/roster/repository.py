"""The roster's reads: the community, the organizations it can name, its members."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Uuid, literal, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.organizations.repository import ACTIVE, in_subtree
from services.members.organizations.tree import OrgKind
from services.members.roster.directory import OrgEntry


class RosterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def community(self, community_id: uuid.UUID) -> Organization | None:
        org = await self.session.get(Organization, community_id)
        return org if org is not None and org.kind == OrgKind.community else None

    async def organizations(
        self, community_id: uuid.UUID, *, also: Sequence[uuid.UUID] = ()
    ) -> list[OrgEntry]:
        """The community's active subtree, the units co-building with it, and ``also``
        (organizations its members already belong to, whatever their state) with their
        ancestors, so an exported name path can be read."""
        as_array = literal([community_id], postgresql.ARRAY(Uuid))
        co_building = Organization.co_building_community_ids.op("@>")(as_array)
        nameable = (in_subtree(community_id) | co_building) & (Organization.status == ACTIVE)
        query = select(Organization).where(or_(nameable, Organization.id.in_(also)))
        found = {o.id: o for o in (await self.session.scalars(query)).all()}
        missing = {a for o in found.values() for a in o.ancestor_ids} - found.keys()
        if missing:
            above = select(Organization).where(Organization.id.in_(missing))
            found |= {o.id: o for o in (await self.session.scalars(above)).all()}
        return [OrgEntry(o.id, o.name, o.kind, o.parent_id) for o in found.values()]

    async def members(self, community_id: uuid.UUID, status: str | None) -> Sequence[Member]:
        query = select(Member).where(Member.community_id == community_id)
        if status is not None:
            query = query.where(Member.status == status)
        return (await self.session.scalars(query.order_by(Member.name, Member.id))).all()
