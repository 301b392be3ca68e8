"""Registering and reading members. Writes flush only; the caller owns the transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member, messaging
from services.members.registry.repository import MemberRepository
from services.members.registry.schemas import MemberCreate
from shared.contracts.members import MEMBER_REGISTERED, MemberRegistered, MemberState
from shared.envelope import EventEnvelope, Tenant
from shared.errors import NotFound
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
    )


async def register_member(
    session: AsyncSession,
    data: MemberCreate,
    *,
    topic: str,
    correlation_id: str | None = None,
    actor: str | None = None,
) -> Member:
    member = await MemberRepository(session).add(
        Member(
            id=uuid.uuid4(),
            name=data.name,
            district_id=data.district_id,
            community_id=data.community_id,
            branch_id=data.branch_id,
            status="active",
            version=1,
        )
    )
    event = EventEnvelope(
        type=MEMBER_REGISTERED.event_type,
        version=MEMBER_REGISTERED.version,
        producer="members",
        tenant=Tenant(district_id=member.district_id, community_id=member.community_id),
        key=str(member.id),
        correlation_id=correlation_id,
        actor=actor,
        payload=MemberRegistered(member=member_state(member)).model_dump(mode="json"),
    )
    await add_events(session, messaging.outbox, topic, [event])
    return member


async def get_member(session: AsyncSession, member_id: uuid.UUID) -> Member:
    member = await MemberRepository(session).get(member_id)
    if member is None:
        raise NotFound("未找到该党员")
    return member
