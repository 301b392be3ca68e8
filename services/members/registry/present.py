"""What a caller sees of members' personal data (mobile, ID number, address): in full
for the member and for whoever may change the record, masked for read-only roles
(``Principal.sees_personal_data``); and the audit of full reads by admins above the
community (``record_reads``), one entry per request.

Every answer that shows personal data goes through a :class:`Viewer`: records and lists
(``member_out``), history, the audit log, duplicate answers, the roster export."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.policy import reads_personal_data_from_above, sees_personal_data
from services.members.registry.schemas import MemberOut
from shared.auth.masking import mask_address, mask_id_number, mask_mobile
from shared.auth.principal import Principal
from shared.writes import WriteContext

MASKS = {"mobile": mask_mobile, "id_number": mask_id_number, "address": mask_address}
# The audit entry of a full read: entity type and action (GET /audit?action=…).
PERSONAL_DATA = "personal_data"
READ = "personal_data_read"

# A member as the rule needs it: id, home organization, residential community.
Placed = tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]


def mask_fields(values: dict[str, Any]) -> dict[str, Any]:
    return {k: MASKS[k](v) if k in MASKS and isinstance(v, str) else v for k, v in values.items()}


@dataclass(frozen=True)
class Viewer:
    """One caller's view of a set of members. ``places``: for each member, the home
    organization and residential community with their ancestors."""

    principal: Principal
    places: Mapping[uuid.UUID, frozenset[uuid.UUID]]
    anchors: Mapping[uuid.UUID, tuple[uuid.UUID, ...]]

    def full(self, member_id: uuid.UUID) -> bool:
        return sees_personal_data(self.principal, member_id, self.places.get(member_id, ()))

    def from_above(self, member_id: uuid.UUID) -> bool:
        places = self.places.get(member_id, ())
        return reads_personal_data_from_above(self.principal, member_id, places)

    def masked(self, member_id: uuid.UUID, values: dict[str, Any] | None) -> dict[str, Any] | None:
        """A snapshot (a history entry's before/after, a duplicate's record) as this
        caller may see it."""
        if values is None or self.full(member_id):
            return values
        return mask_fields(values)

    def member_out(self, member: Member) -> MemberOut:
        out = MemberOut.model_validate(member)
        if self.full(member.id):
            return out
        return out.model_copy(update=mask_fields(out.model_dump(include=set(MASKS))))


def placed(member: Member) -> Placed:
    return member.id, member.home_organization_id, member.community_id


async def organization_paths(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """Each organization with its ancestors, in one query."""
    if not ids:
        return {}
    query = select(Organization.id, Organization.ancestor_ids).where(Organization.id.in_(list(ids)))
    return {
        org_id: frozenset([org_id, *(ancestors or [])])
        for org_id, ancestors in (await session.execute(query)).all()
    }


async def viewer(session: AsyncSession, principal: Principal, members: Iterable[Placed]) -> Viewer:
    found = list(members)
    paths = await organization_paths(
        session, {org for _, home, community in found for org in (home, community) if org}
    )
    places: dict[uuid.UUID, frozenset[uuid.UUID]] = {}
    anchors: dict[uuid.UUID, tuple[uuid.UUID, ...]] = {}
    for member_id, home, community in found:
        own = tuple(org for org in (home, community) if org is not None)
        anchors[member_id] = own
        places[member_id] = frozenset().union(*(paths.get(org, {org}) for org in own))
    return Viewer(principal, places, anchors)


async def present(
    session: AsyncSession, principal: Principal, members: Iterable[Member]
) -> tuple[Viewer, list[MemberOut]]:
    found = list(members)
    seen = await viewer(session, principal, map(placed, found))
    return seen, [seen.member_out(m) for m in found]


async def record_reads(
    session: AsyncSession,
    seen: Viewer,
    member_ids: Iterable[uuid.UUID],
    *,
    read: str,
    ctx: WriteContext,
) -> None:
    """One audit entry for a request that showed these members' personal data in full
    through a district or street grant (nothing when it showed none so): which members,
    read how. Anchored on their home organizations and communities, so their own admins
    see who above them read the records."""
    ids = list(dict.fromkeys(m for m in member_ids if seen.from_above(m)))
    if not ids:
        return
    await _record(
        session,
        seen.principal,
        # One member: the entry is found under the member's id too.
        entity_id=ids[0] if len(ids) == 1 else uuid.uuid4(),
        after={"read": read, "count": len(ids), "member_ids": [str(m) for m in ids]},
        anchors=[org for m in ids for org in seen.anchors.get(m, ())],
        ctx=ctx,
    )


async def record_community_read(
    session: AsyncSession,
    principal: Principal,
    community: Organization,
    *,
    read: str,
    ctx: WriteContext,
    **details: Any,
) -> bool:
    """Whether ``principal`` sees the personal data of a community's members (all of whom
    live there) in full; if through a district or street grant, one audit entry naming
    the community as the scope of the read."""
    places = frozenset([community.id, *(community.ancestor_ids or [])])
    if reads_personal_data_from_above(principal, None, places):
        after = {"read": read, "organization_id": str(community.id), **details}
        await _record(
            session,
            principal,
            entity_id=community.id,
            after=after,
            anchors=[community.id],
            ctx=ctx,
        )
    return sees_personal_data(principal, None, places)


async def _record(
    session: AsyncSession,
    principal: Principal,
    *,
    entity_id: uuid.UUID,
    after: dict[str, Any],
    anchors: list[uuid.UUID],
    ctx: WriteContext,
) -> None:
    await ctx.record(
        session,
        entity_type=PERSONAL_DATA,
        entity_id=entity_id,
        action=READ,
        before=None,
        after=after,
        organization_ids=anchors,
    )
