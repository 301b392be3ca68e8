"""One person, one record (一人一档): what a caller is told about the existing record of
the person they are registering.

A caller who can read that record (``access.members_visible``, or it is their own) gets
it back, its personal data as they may see it (``present.Viewer``). Anyone else learns
only that the person is already registered and which community to ask — never the
record's id, name or dates: otherwise registering is a look-up of any ID number in the
district. Registration, update, roster import and a unit's sync all answer from here."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import any_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import members_visible
from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.policy import Action
from services.members.registry import present
from shared.auth.principal import Principal
from shared.db import uuid_array
from shared.errors import AppError

CODE = "duplicate_member"
RULES = {"id_number": "身份证号相同", "name_mobile": "姓名和手机号都相同"}
IN_SIGHT = {
    "id_number": "本区已有相同身份证号的党员记录",
    "name_mobile": "已有同名且手机号相同的党员记录",
}


async def in_sight(
    session: AsyncSession, principal: Principal | None, member_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these members the caller may read. Without a principal (a command-line
    tool, a benchmark) none: the answer then says only where the person is registered."""
    if principal is None or not member_ids:
        return set()
    # One array parameter however many: a sync's report may name 10,000 members.
    query = select(Member.id).where(
        Member.id == any_(uuid_array(list(member_ids))), members_visible(principal, Action.read)
    )
    found = set((await session.scalars(query)).all())
    own = principal.member_id
    if own is not None and own in member_ids:
        found.add(own)
    return found


async def community_names(
    session: AsyncSession, ids: Collection[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    query = select(Organization.id, Organization.name).where(Organization.id.in_(wanted))
    return {org_id: str(name) for org_id, name in (await session.execute(query)).all()}


def registered_elsewhere(community_name: str | None, outcome: str) -> str:
    """The whole answer about a record out of the caller's sight: where, and whom to ask."""
    where = f"「{community_name}」" if community_name else "本区其他社区"
    return f"该党员已在{where}登记，{outcome}；如需调整其信息，请联系该社区"


async def refusal(
    session: AsyncSession, principal: Principal | None, existing: Member, rule: str
) -> AppError:
    """The 409 for registering (or changing a record into) a person already registered."""
    if existing.id in await in_sight(session, principal, [existing.id]):
        assert principal is not None
        seen = await present.viewer(session, principal, [present.placed(existing)])
        data = seen.member_out(existing).model_dump(mode="json")
        if seen.from_above(existing.id):
            # An error answer writes nothing, so the audit entry such a full read needs
            # can't be kept: the record's id leads to the (audited) full read instead.
            data = present.mask_fields(data)
        return AppError(409, CODE, IN_SIGHT[rule] + "，请勿重复登记", data=data)
    names = await community_names(session, [existing.community_id])
    name = names.get(existing.community_id)
    message = registered_elsewhere(name, f"{RULES[rule]}，请勿重复登记")
    return AppError(409, CODE, message, data={"community_name": name})
