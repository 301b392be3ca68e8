from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.members.models import MemberProjection
from shared.contracts.members import MemberRegistered
from shared.envelope import EventEnvelope
from shared.projection import upsert_if_newer


async def on_member_registered(
    session: AsyncSession, event: EventEnvelope, payload: MemberRegistered
) -> None:
    state = payload.member
    await upsert_if_newer(
        session,
        MemberProjection.__table__,  # type: ignore[arg-type]
        {
            "member_id": state.member_id,
            "version": state.version,
            "name": state.name,
            "district_id": state.district_id,
            "community_id": state.community_id,
            "branch_id": state.branch_id,
            "status": state.status,
            "updated_at": state.updated_at,
        },
        key=["member_id"],
    )
