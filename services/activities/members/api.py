from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from services.activities.members.models import MemberProjection
from services.activities.organizations.models import OrganizationProjection as Org
from shared.auth.deps import PrincipalDep
from shared.auth.scope import get_visible
from shared.errors import NotFound
from shared.runtime import SessionDep

router = APIRouter(prefix="/members", tags=["党员（来自党员信息库）"])


class MemberView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: uuid.UUID
    version: int
    name: str
    community_id: uuid.UUID
    branch_id: uuid.UUID | None
    status: str
    projected_at: datetime


@router.get("/{member_id}", response_model=MemberView, summary="本服务所知的党员")
async def get_member(
    member_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> MemberView:
    """Staff see members of their subtree; a member sees their own record."""
    if principal.member_id == member_id:
        member = await session.get(MemberProjection, member_id)
    else:
        member = await get_visible(
            session,
            MemberProjection,
            MemberProjection.member_id == member_id,
            principal,
            [MemberProjection.community_id, MemberProjection.branch_id],
            Org.organization_id,
            Org.ancestor_ids,
        )
    if member is None:
        raise NotFound("未找到该党员")
    return MemberView.model_validate(member)
