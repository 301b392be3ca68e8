"""Transfer events (组织关系转接) published by the members service on
``<prefix>members.events``, keyed by the member id.

The sending side requests; the receiving side accepts, rejects or returns the request
with a reason. Each step carries the transfer's full state and version; notify tells
the receiving organization about a request and the sender about the answer."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from shared.contracts import register


class TransferState(BaseModel):
    model_config = ConfigDict(extra="allow")

    transfer_id: uuid.UUID
    version: int
    member_id: uuid.UUID
    member_name: str
    from_organization_id: uuid.UUID
    from_community_id: uuid.UUID | None = None
    from_district_id: uuid.UUID | None = None
    to_organization_id: uuid.UUID
    to_community_id: uuid.UUID | None = None
    to_district_id: uuid.UUID | None = None
    # "pending" | "accepted" | "rejected" | "returned" | "cancelled"
    status: str
    reason: str | None = None
    # Why the receiver rejected or returned it.
    answer: str | None = None
    requested_on: date
    due_on: date
    decided_at: datetime | None = None
    updated_at: datetime


class TransferChanged(BaseModel):
    model_config = ConfigDict(extra="allow")

    transfer: TransferState


TRANSFER_REQUESTED = register("transfer.requested", 1, "members", TransferChanged)
TRANSFER_ACCEPTED = register("transfer.accepted", 1, "members", TransferChanged)
TRANSFER_REJECTED = register("transfer.rejected", 1, "members", TransferChanged)
TRANSFER_RETURNED = register("transfer.returned", 1, "members", TransferChanged)
TRANSFER_CANCELLED = register("transfer.cancelled", 1, "members", TransferChanged)
