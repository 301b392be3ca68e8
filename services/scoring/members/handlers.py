from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.members.models import MemberProjection
from shared.consumer import BatchHandler
from shared.contracts.members import MemberChanged, MemberMerged, MemberRegistered, member_states
from shared.envelope import EventEnvelope
from shared.projection import upsert_many_if_newer


async def project_members(
    session: AsyncSession,
    events: Sequence[tuple[EventEnvelope, MemberRegistered | MemberChanged | MemberMerged]],
) -> None:
    """One upsert for a whole run of member events; the version check keeps the newest."""
    rows = [
        {
            "member_id": s.member_id,
            "version": s.version,
            "name": s.name,
            "district_id": s.district_id,
            "community_id": s.community_id,
            "branch_id": s.branch_id,
            "status": s.status,
            "updated_at": s.updated_at,
        }
        for _, payload in events
        for s in member_states(payload)
    ]
    table = MemberProjection.__table__
    await upsert_many_if_newer(session, table, rows, key=["member_id"])  # type: ignore[arg-type]


on_member_changed = BatchHandler(project_members)
