"""Read routes over a service's member and organization projections, scoped like the
members service's own: an id outside the caller's reach answers 404."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from shared.auth.deps import PrincipalDep
from shared.auth.roles import Permission
from shared.auth.scope import get_visible
from shared.errors import NotFound
from shared.projections.models import MemberProjectionColumns, OrganizationProjectionColumns
from shared.runtime import SessionDep


class MemberView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: uuid.UUID
    version: int
    name: str
    community_id: uuid.UUID
    branch_id: uuid.UUID | None
    home_organization_id: uuid.UUID | None
    status: str
    projected_at: datetime


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


def member_router(
    members: type[MemberProjectionColumns],
    organizations: type[OrganizationProjectionColumns],
    read: Permission,
) -> APIRouter:
    """``GET /members/{member_id}`` over ``members``, scoped through ``organizations``."""
    router = APIRouter(prefix="/members", tags=["党员（来自党员信息库）"])

    @router.get("/{member_id}", response_model=MemberView, summary="本服务所知的党员")
    async def get_member(
        member_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
    ) -> MemberView:
        """Staff see members of their subtree; a member sees their own record."""
        if principal.member_id == member_id:
            member = await session.get(members, member_id)
        else:
            # Where they live and where their membership is held: the community sees its
            # members, the unit its in-service members reported in there (双报到).
            anchors = [members.community_id, members.branch_id, members.home_organization_id]
            member = await get_visible(
                session,
                members,
                members.member_id == member_id,
                principal,
                anchors,
                organizations.organization_id,
                organizations.ancestor_ids,
                action=read,
            )
        if member is None:
            raise NotFound("未找到该党员")
        return MemberView.model_validate(member)

    return router


def organization_router(
    organizations: type[OrganizationProjectionColumns], read: Permission
) -> APIRouter:
    """``GET /organizations/{organization_id}``: the organizations in the caller's subtrees."""
    router = APIRouter(prefix="/organizations", tags=["党组织（来自党员信息库）"])

    @router.get("/{organization_id}", response_model=OrganizationView, summary="本服务所知的组织")
    async def get_organization(
        organization_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
    ) -> OrganizationView:
        org = organizations
        organization = await get_visible(
            session,
            org,
            org.organization_id == organization_id,
            principal,
            [org.organization_id],
            org.organization_id,
            org.ancestor_ids,
            action=read,
        )
        if organization is None:
            raise NotFound("未找到该组织")
        return OrganizationView.model_validate(organization)

    return router
