"""What every write to the tree leaves behind, in the writer's transaction: an audit
entry (before/after) and an outbox event carrying the organization's new state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.organizations.models import Organization
from services.members.organizations.schemas import OrganizationOut
from shared.audit import anchors, changed_fields
from shared.contracts import Contract
from shared.contracts.organizations import OrganizationChanged, OrganizationState
from shared.writes import WriteContext

# Fields every write changes; "changed" in an event names the fields the write was about.
_BOOKKEEPING = frozenset({"version", "updated_at"})


def organization_state(org: Organization) -> OrganizationState:
    return OrganizationState(
        organization_id=org.id,
        version=org.version,
        kind=org.kind,
        name=org.name,
        parent_id=org.parent_id,
        ancestor_ids=list(org.ancestor_ids),
        district_id=org.district_id,
        community_id=org.community_id,
        status=org.status,
        co_building_community_ids=list(org.co_building_community_ids),
        updated_at=org.updated_at,
    )


def snapshot(org: Organization) -> dict[str, Any]:
    return OrganizationOut.model_validate(org).model_dump(mode="json")


class Write(NamedTuple):
    """One written organization: what was done, the event to publish, the state before
    (None when created) and the organization as it is now."""

    action: str
    contract: Contract
    before: dict[str, Any] | None
    org: Organization


async def record(session: AsyncSession, ctx: WriteContext, writes: Sequence[Write]) -> None:
    """One audit entry and one outbox event per written organization."""
    envelopes = []
    for action, contract, before, org in writes:
        after = snapshot(org)
        changed = [f for f in changed_fields(before, after) if f not in _BOOKKEEPING]
        # A move is read under the parent it left as well as where it went.
        left = before["parent_id"] if before and "parent_id" in changed else None
        await ctx.record(
            session,
            entity_type="organization",
            entity_id=org.id,
            action=action,
            before=before,
            after=after,
            organization_ids=anchors(org.id, left),
            district_id=org.district_id,
            community_id=org.community_id,
        )
        payload = OrganizationChanged(
            organization=organization_state(org), changed=changed if before else []
        )
        envelopes.append(
            ctx.envelope(
                contract,
                payload,
                key=org.id,
                district_id=org.district_id,
                community_id=org.community_id,
            )
        )
    await ctx.publish_all(session, envelopes)
