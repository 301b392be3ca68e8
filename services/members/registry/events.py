"""The member's state as events carry it, and the envelopes the registry writes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member, messaging
from shared.contracts import Contract
from shared.contracts.members import MemberChanged, MemberRegistered, MemberState
from shared.envelope import EventEnvelope, Tenant
from shared.outbox import add_events


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
    contract: Contract,
    member: Member,
    *,
    topic: str,
    changed: list[str] | None = None,
    correlation_id: str | None = None,
    actor: str | None = None,
) -> None:
    state = member_state(member)
    payload = (
        MemberRegistered(member=state)
        if changed is None
        else MemberChanged(member=state, changed=changed)
    )
    event = EventEnvelope(
        type=contract.event_type,
        version=contract.version,
        producer="members",
        tenant=Tenant(district_id=member.district_id, community_id=member.community_id),
        key=str(member.id),
        correlation_id=correlation_id,
        actor=actor,
        payload=payload.model_dump(mode="json"),
    )
    await add_events(session, messaging.outbox, topic, [event])
