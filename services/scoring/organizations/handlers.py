from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.organizations.models import OrganizationProjection
from shared.consumer import BatchHandler
from shared.contracts.organizations import OrganizationChanged
from shared.envelope import EventEnvelope
from shared.projection import upsert_many_if_newer


async def project_organizations(
    session: AsyncSession, events: Sequence[tuple[EventEnvelope, OrganizationChanged]]
) -> None:
    """organization.created / updated / deactivated all carry the full state: one upsert
    for a whole run (a move re-roots a subtree in one burst), the newest version wins."""
    rows = [
        {
            "organization_id": s.organization_id,
            "version": s.version,
            "kind": s.kind,
            "name": s.name,
            "parent_id": s.parent_id,
            "ancestor_ids": s.ancestor_ids,
            "district_id": s.district_id,
            "community_id": s.community_id,
            "status": s.status,
            "co_building_community_ids": s.co_building_community_ids,
            "updated_at": s.updated_at,
        }
        for s in (payload.organization for _, payload in events)
    ]
    table = OrganizationProjection.__table__
    await upsert_many_if_newer(session, table, rows, key=["organization_id"])  # type: ignore[arg-type]


# One instance for all three event types, so consecutive ones form one run.
on_organization_changed = BatchHandler(project_organizations)
