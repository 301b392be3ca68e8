"""What every write to the tree leaves behind, in the writer's transaction: an audit
entry (before/after) and an outbox event carrying the organization's new state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.audit import service as audit
from services.members.models import messaging
from services.members.organizations.models import Organization
from services.members.organizations.schemas import OrganizationOut
from shared.contracts import Contract
from shared.contracts.organizations import OrganizationChanged, OrganizationState
from shared.envelope import EventEnvelope, Tenant
from shared.outbox import add_events

# Fields every write changes; "changed" in an event names the fields the write was about.
_BOOKKEEPING = frozenset({"version", "updated_at"})


@dataclass(frozen=True)
class Context:
    """Who writes, where the events go, and which request they belong to."""

    topic: str
    correlation_id: str | None = None
    actor: str | None = None


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


async def record(session: AsyncSession, ctx: Context, writes: Sequence[Write]) -> None:
    """One audit entry and one outbox event per written organization."""
    envelopes = []
    for action, contract, before, org in writes:
        after = snapshot(org)
        changed = [f for f in audit.changed_fields(before, after) if f not in _BOOKKEEPING]
        # A move is read under the parent it left as well as where it went.
        left = before["parent_id"] if before and "parent_id" in changed else None
        await audit.record(
            session,
            entity_type="organization",
            entity_id=org.id,
            action=action,
            actor=ctx.actor,
            before=before,
            after=after,
            organization_ids=audit.anchors(org.id, left),
            district_id=org.district_id,
            community_id=org.community_id,
            correlation_id=ctx.correlation_id,
        )
        payload = OrganizationChanged(
            organization=organization_state(org), changed=changed if before else []
        )
        envelopes.append(
            EventEnvelope(
                type=contract.event_type,
                version=contract.version,
                producer="members",
                tenant=Tenant(district_id=org.district_id, community_id=org.community_id),
                key=str(org.id),
                correlation_id=ctx.correlation_id,
                actor=ctx.actor,
                payload=payload.model_dump(mode="json"),
            )
        )
    await add_events(session, messaging.outbox, ctx.topic, envelopes)
