"""The member's state as events carry it, and the envelopes the registry writes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from shared.contracts import Contract
from shared.contracts.members import MemberChanged, MemberRegistered, MemberState
from shared.writes import WriteContext


def member_state(member: Member) -> MemberState:
    return MemberState(
        member_id=member.id,
        version=member.version,
        name=member.name,
        district_id=member.district_id,
        community_id=member.community_id,
        branch_id=member.branch_id,
        status=member.status,
        updated_at=member.updated_at,
        home_organization_id=member.home_organization_id,
        gender=member.gender,
        birth_date=member.birth_date,
        education=member.education,
        categories=list(member.categories or []),
        specialties=list(member.specialties or []),
        work_unit=member.work_unit,
        joined_at=member.joined_at,
        lives_in_area=member.lives_in_area,
        merged_into_id=member.merged_into_id,
    )


async def publish(
    session: AsyncSession,
    ctx: WriteContext,
    contract: Contract,
    member: Member,
    *,
    changed: list[str] | None = None,
) -> None:
    """The member's new state as ``contract``'s event: registered (no ``changed``) or
    changed (naming the fields)."""
    state = member_state(member)
    payload = (
        MemberRegistered(member=state)
        if changed is None
        else MemberChanged(member=state, changed=changed)
    )
    await ctx.publish(
        session,
        contract,
        payload,
        key=member.id,
        district_id=member.district_id,
        community_id=member.community_id,
    )
