"""What every step of a transfer leaves behind, in the writer's transaction: an audit
entry (entity type "transfer", before/after) and an outbox event carrying the
transfer's full state, on the service's own topic keyed by the member id (so it stays in
order with the member's own events)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.transfers.models import Transfer
from shared.audit import anchors
from shared.contracts import Contract
from shared.contracts.transfers import (
    TRANSFER_ACCEPTED,
    TRANSFER_CANCELLED,
    TRANSFER_REJECTED,
    TRANSFER_REQUESTED,
    TRANSFER_RETURNED,
    TransferChanged,
    TransferState,
)
from shared.writes import WriteContext

# The event each status is announced with (a cancellation, 撤回, too: the receiving
# side's list of pending requests must drop it).
CONTRACTS: dict[str, Contract] = {
    "pending": TRANSFER_REQUESTED,
    "accepted": TRANSFER_ACCEPTED,
    "rejected": TRANSFER_REJECTED,
    "returned": TRANSFER_RETURNED,
    "cancelled": TRANSFER_CANCELLED,
}


def transfer_state(transfer: Transfer, member_name: str) -> TransferState:
    return TransferState(
        transfer_id=transfer.id,
        version=transfer.version,
        member_id=transfer.member_id,
        member_name=member_name,
        from_organization_id=transfer.from_organization_id,
        from_community_id=transfer.from_community_id,
        from_district_id=transfer.from_district_id,
        to_organization_id=transfer.to_organization_id,
        to_community_id=transfer.to_community_id,
        to_district_id=transfer.to_district_id,
        status=transfer.status,
        reason=transfer.reason,
        answer=transfer.answer,
        requested_on=transfer.requested_on,
        due_on=transfer.due_on,
        decided_at=transfer.decided_at,
        updated_at=transfer.updated_at,
    )


def snapshot(transfer: Transfer, member_name: str) -> dict[str, Any]:
    after = transfer_state(transfer, member_name).model_dump(mode="json")
    return after | {"requested_by": transfer.requested_by, "decided_by": transfer.decided_by}


async def record(
    session: AsyncSession,
    ctx: WriteContext,
    transfer: Transfer,
    member_name: str,
    *,
    action: str,
    before: dict[str, Any] | None,
) -> None:
    """Audit the step and publish its event. The request is addressed to the receiving
    side and the answer to the sending side: that side is the event's tenant and the
    audit entry's scope."""
    if transfer.status in ("pending", "cancelled"):
        district, community = transfer.to_district_id, transfer.to_community_id
    else:
        district, community = transfer.from_district_id, transfer.from_community_id
    await ctx.record(
        session,
        entity_type="transfer",
        entity_id=transfer.id,
        action=action,
        before=before,
        after=snapshot(transfer, member_name),
        # Both sides read every step, as they see the transfer itself (transfers_visible):
        # the sending organization and community, and the receiving organization.
        organization_ids=anchors(
            transfer.from_organization_id,
            transfer.from_community_id,
            transfer.to_organization_id,
        ),
        district_id=district,
        community_id=community,
    )
    payload = TransferChanged(transfer=transfer_state(transfer, member_name))
    await ctx.publish(
        session,
        CONTRACTS[transfer.status],
        payload,
        key=transfer.member_id,  # in order with the member's own events
        district_id=district,
        community_id=community,
    )
