from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.members.access import organization_for
from services.members.figures.service import Figures, structure_figures
from services.members.policy import Action
from shared.auth.deps import require
from shared.auth.principal import Principal
from shared.runtime import SessionDep

router = APIRouter(tags=["党员结构"])


@router.get(
    "/organizations/{organization_id}/figures",
    response_model=Figures,
    summary="党员结构：年龄段、类别、文化程度、性别、是否居住在辖区、各单位人数",
)
async def figures(
    organization_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require(Action.read))],
    session: SessionDep,
    as_of: date | None = Query(None, description="按哪一天计算年龄；默认今天"),
) -> Figures:
    await organization_for(session, principal, Action.read, organization_id)
    return await structure_figures(session, organization_id, as_of)
