"""The roster's reads: the community, the organizations it can name, its members."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ARRAY, Text, Uuid, any_, bindparam, literal, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.organizations.repository import ACTIVE, in_subtree
from services.members.roster.directory import OrgEntry
from services.members.roster.known import RosterEntry
from shared.contracts.vocabulary import OrgKind

# An existing record of a person in the file: its id and community.
Found = tuple[uuid.UUID, uuid.UUID]


class RosterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def community(self, community_id: uuid.UUID) -> Organization | None:
        org = await self.session.get(Organization, community_id)
        return org if org is not None and org.kind == OrgKind.community else None

    async def organizations(self, community_id: uuid.UUID) -> list[OrgEntry]:
        """The organizations the community's roster names (所在党组织), for import and
        export alike: its active subtree, the units co-building with it, and every
        organization its members belong to whatever its state (the units of in-service
        residents among them), with their ancestors so that a name path can be read."""
        found = await self.organization_rows(community_id)
        return [OrgEntry(o.id, o.name, o.kind, o.parent_id) for o in found]

    async def organization_rows(self, community_id: uuid.UUID) -> list[Organization]:
        """:meth:`organizations` as the session's objects."""
        as_array = literal([community_id], postgresql.ARRAY(Uuid))
        co_building = Organization.co_building_community_ids.op("@>")(as_array)
        nameable = (in_subtree(community_id) | co_building) & (Organization.status == ACTIVE)
        homes = select(Member.home_organization_id).where(Member.community_id == community_id)
        query = select(Organization).where(or_(nameable, Organization.id.in_(homes)))
        found = {o.id: o for o in (await self.session.scalars(query)).all()}
        missing = {a for o in found.values() for a in o.ancestor_ids} - found.keys()
        if missing:
            above = select(Organization).where(Organization.id.in_(missing))
            found |= {o.id: o for o in (await self.session.scalars(above)).all()}
        return list(found.values())

    async def registered(
        self,
        id_numbers: Collection[tuple[uuid.UUID | None, str]],
        name_mobiles: Collection[tuple[str, str]],
    ) -> tuple[dict[tuple[uuid.UUID | None, str], Found], dict[tuple[str, str], Found]]:
        """Which of these (district, ID number) and (name, mobile) pairs a live record
        already has, and that record (id, community): ``MemberRepository.find_duplicate``'s
        two rules for a whole file, in two queries."""
        live = Member.status != "merged"
        ids: dict[tuple[uuid.UUID | None, str], Found] = {}
        if id_numbers:
            districts = {d for d, _ in id_numbers}
            in_district = Member.district_id == any_(
                _array([d for d in districts if d is not None], Uuid())
            )
            if None in districts:
                in_district = in_district | Member.district_id.is_(None)
            by_id = select(
                Member.district_id, Member.id_number, Member.id, Member.community_id
            ).where(live, in_district, Member.id_number == any_(_array({i for _, i in id_numbers})))
            ids = {(d, i): (m, c) for d, i, m, c in (await self.session.execute(by_id)).all() if i}
        pairs: dict[tuple[str, str], Found] = {}
        if name_mobiles:
            by_name_mobile = select(
                Member.name, Member.mobile, Member.id, Member.community_id
            ).where(
                live,
                Member.name == any_(_array({n for n, _ in name_mobiles})),
                Member.mobile == any_(_array({m for _, m in name_mobiles})),
            )
            rows = (await self.session.execute(by_name_mobile)).all()
            pairs = {(n, mobile): (m, c) for n, mobile, m, c in rows if mobile}
        wanted_ids, wanted_pairs = set(id_numbers), set(name_mobiles)
        return (
            {k: v for k, v in ids.items() if k in wanted_ids},
            {k: v for k, v in pairs.items() if k in wanted_pairs},
        )

    async def roster_entries(self, community_id: uuid.UUID) -> list[RosterEntry]:
        """Who is in the community's roster already, whatever their state."""
        query = select(
            Member.name, Member.id_number, Member.mobile, Member.home_organization_id
        ).where(Member.community_id == community_id)
        return [RosterEntry(*row) for row in (await self.session.execute(query)).all()]

    async def members(self, community_id: uuid.UUID, status: str | None) -> Sequence[Member]:
        query = select(Member).where(Member.community_id == community_id)
        if status is not None:
            query = query.where(Member.status == status)
        return (await self.session.scalars(query.order_by(Member.name, Member.id))).all()


def _array(values: Collection[Any], item: Any = None) -> Any:
    """One array parameter, however many values (an IN list binds one per value)."""
    return bindparam(None, list(values), type_=ARRAY(item if item is not None else Text()))
