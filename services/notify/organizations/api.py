from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from services.notify.organizations.models import OrganizationProjection
from shared.auth.deps import PrincipalDep
from shared.auth.scope import get_visible
from shared.errors import NotFound
from shared.runtime import SessionDep

router = APIRouter(prefix="/organizations", tags=["党组织（来自党员信息库）"])


class OrganizationView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    organization_id: uuid.UUID
    version: int
    kind: str
    name: str
    parent_id: uuid.UUID | None
    ancestor_ids: list[uuid.UUID]
    district_id: uuid.UUID | None
    community_id: uuid.UUID | None
    status: str
    co_building_community_ids: list[uuid.UUID]
    updated_at: datetime
    projected_at: datetime


@router.get("/{organization_id}", response_model=OrganizationView, summary="本服务所知的组织")
async def get_organization(
    organization_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> OrganizationView:
    org = OrganizationProjection
    organization = await get_visible(
        session,
        org,
        org.organization_id == organization_id,
        principal,
        [org.organization_id],
        org.organization_id,
        org.ancestor_ids,
    )
    if organization is None:
        raise NotFound("未找到该组织")
    return OrganizationView.model_validate(organization)
