"""The organization tree (党组织): create, read, rename, move and deactivate nodes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.members.organizations import service
from services.members.organizations.events import Context
from services.members.organizations.schemas import (
    OrganizationCreate,
    OrganizationDeactivate,
    OrganizationMove,
    OrganizationOut,
    OrganizationUpdate,
)
from services.members.organizations.tree import OrgKind
from shared.runtime import RuntimeDep, SessionDep
from shared.web import CorrelationIdDep

router = APIRouter(prefix="/organizations", tags=["党组织"])


def write_context(runtime: RuntimeDep, correlation_id: CorrelationIdDep) -> Context:
    return Context(topic=runtime.own_topic, correlation_id=correlation_id)


ContextDep = Annotated[Context, Depends(write_context)]


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=OrganizationOut, summary="新建组织"
)
async def create_organization(
    body: OrganizationCreate,
    session: SessionDep,
    ctx: ContextDep,
) -> OrganizationOut:
    org = await service.create_organization(session, body, ctx)
    return OrganizationOut.model_validate(org)


@router.get("", response_model=list[OrganizationOut], summary="列出组织树（某组织及其全部下级）")
async def list_organizations(
    session: SessionDep,
    root_id: uuid.UUID | None = Query(None, description="从哪个组织开始（含自身）；不填则列出全部"),
    kind: OrgKind | None = Query(None, description="只列出这一类型"),
    include_inactive: bool = Query(False, description="是否包括已停用的组织"),
    limit: int = Query(1000, ge=1, le=10000),
) -> list[OrganizationOut]:
    orgs = await service.list_subtree(
        session, root_id, kind=kind, include_inactive=include_inactive, limit=limit
    )
    return [OrganizationOut.model_validate(o) for o in orgs]


@router.get("/{org_id}", response_model=OrganizationOut, summary="查看组织")
async def get_organization(org_id: uuid.UUID, session: SessionDep) -> OrganizationOut:
    return OrganizationOut.model_validate(await service.get_organization(session, org_id))


@router.get("/{org_id}/children", response_model=list[OrganizationOut], summary="直接下级组织")
async def list_children(
    org_id: uuid.UUID,
    session: SessionDep,
    include_inactive: bool = Query(False, description="是否包括已停用的组织"),
) -> list[OrganizationOut]:
    orgs = await service.list_children(session, org_id, include_inactive=include_inactive)
    return [OrganizationOut.model_validate(o) for o in orgs]


@router.patch(
    "/{org_id}", response_model=OrganizationOut, summary="修改组织（名称、共建社区、设置）"
)
async def update_organization(
    org_id: uuid.UUID,
    body: OrganizationUpdate,
    session: SessionDep,
    ctx: ContextDep,
) -> OrganizationOut:
    org = await service.update_organization(session, org_id, body, ctx)
    return OrganizationOut.model_validate(org)


@router.post(
    "/{org_id}/move", response_model=OrganizationOut, summary="调整上级组织（连同全部下级）"
)
async def move_organization(
    org_id: uuid.UUID,
    body: OrganizationMove,
    session: SessionDep,
    ctx: ContextDep,
) -> OrganizationOut:
    org = await service.move_organization(session, org_id, body, ctx)
    return OrganizationOut.model_validate(org)


@router.post("/{org_id}/deactivate", response_model=OrganizationOut, summary="停用组织")
async def deactivate_organization(
    org_id: uuid.UUID,
    body: OrganizationDeactivate,
    session: SessionDep,
    ctx: ContextDep,
) -> OrganizationOut:
    org = await service.deactivate_organization(session, org_id, body, ctx)
    return OrganizationOut.model_validate(org)
