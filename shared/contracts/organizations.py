"""Organization events published by the members service (topic ``<prefix>members.events``).

Every event carries the organization's full state and its version, plus the names of
the fields that changed, so a consumer can upsert when the version is newer."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shared.contracts import register


class OrganizationState(BaseModel):
    model_config = ConfigDict(extra="allow")

    organization_id: uuid.UUID
    version: int
    kind: str
    name: str
    parent_id: uuid.UUID | None = None
    # Ancestors from the root down, excluding the organization itself.
    ancestor_ids: list[uuid.UUID] = []
    district_id: uuid.UUID | None = None
    community_id: uuid.UUID | None = None
    status: str
    co_building_community_ids: list[uuid.UUID] = []
    updated_at: datetime
    # Added in Step 4b (optional, so v1 stays compatible): a branch's kind by its
    # members (支部类型: community, retired, mobile, building, non-public economy, …).
    branch_kind: str | None = None


class OrganizationChanged(BaseModel):
    model_config = ConfigDict(extra="allow")

    organization: OrganizationState
    changed: list[str] = []


ORGANIZATION_CREATED = register("organization.created", 1, "members", OrganizationChanged)
ORGANIZATION_UPDATED = register("organization.updated", 1, "members", OrganizationChanged)
ORGANIZATION_DEACTIVATED = register("organization.deactivated", 1, "members", OrganizationChanged)

ORGANIZATION_EVENT_TYPES = tuple(
    c.event_type for c in (ORGANIZATION_CREATED, ORGANIZATION_UPDATED, ORGANIZATION_DEACTIVATED)
)
