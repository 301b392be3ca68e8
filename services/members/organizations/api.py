"""The organization tree (党组织): create, read, rename, move and deactivate nodes.

Access (Step 3): reads show only organizations in the caller's read reach (an id outside
it answers 404); writes need ``organize`` on the node (404 out of sight, 403 when seen
but not theirs to organize). Districts are created by the operators' ``onboard`` CLI,
never through the API. An admin may rename the node their grant is bound to but not
move or deactivate it: only someone above may."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import organization_for, organizations_visible
from services.members.organizations import service
from services.members.organizations.models import Organization
from services.members.organizations.schemas import (
    OrganizationCreate,
    OrganizationDeactivate,
    OrganizationMove,
    OrganizationOut,
    OrganizationPage,
    OrganizationUpdate,
)
from services.members.policy import Action
from shared.auth.deps import forbidden, require
from shared.auth.principal import Principal
from shared.contracts.vocabulary import OrgKind
from shared.errors import AppError, ErrorDetail
from shared.paging import CURSOR, LIMIT, decode_cursor, page_of
from shared.runtime import SessionDep
from shared.writes import WriteDep

router = APIRouter(prefix="/organizations", tags=["党组织"])

ReaderDep = Annotated[Principal, Depends(require(Action.read))]
OrganizerDep = Annotated[Principal, Depends(require(Action.organize))]

NEW_DISTRICT = "新建区请由平台运维使用命令行 onboard"
OWN_NODE = "不能移动或停用本账号所管理的组织本身，请由上级管理员办理"
PARENT_NOT_FOUND = "上级组织不存在"


async def _check_communities_readable(
    session: AsyncSession, principal: Principal, ids: Iterable[uuid.UUID]
) -> None:
    """Co-building communities must be in the caller's read reach; any other id answers
    404 (whether it exists or not is not theirs to know)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return
    seen = set(
        await session.scalars(
            select(Organization.id).where(
                Organization.id.in_(wanted), organizations_visible(principal, Action.read)
            )
        )
    )
    missing = [i for i in wanted if i not in seen]
    if missing:
        raise AppError(
            404,
            "not_found",
            "未找到共驻共建社区",
            [ErrorDetail(field="co_building_community_ids", message=str(i)) for i in missing],
        )


def _refuse_own_node(principal: Principal, org: Organization) -> None:
    """Moving or deactivating needs an organize grant strictly above the node."""
    if not any(n in org.ancestor_ids for n in principal.nodes_for(Action.organize)):
        raise forbidden(OWN_NODE)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganizationOut,
    summary="新建组织",
    responses={403: {"description": "无权在该上级组织下新建，或新建区（请用命令行 onboard）"}},
)
async def create_organization(
    body: OrganizationCreate,
    principal: OrganizerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> OrganizationOut:
    if body.parent_id is None:
        if body.kind == OrgKind.district:
            raise forbidden(NEW_DISTRICT)
        # Any other kind without a parent breaks the tree rules: the service says why.
    else:
        await organization_for(
            session, principal, Action.organize, body.parent_id, message=PARENT_NOT_FOUND
        )
    await _check_communities_readable(session, principal, body.co_building_community_ids)
    org = await service.create_organization(session, body, ctx)
    return OrganizationOut.model_validate(org)


@router.get("", response_model=OrganizationPage, summary="列出组织树（某组织及其全部下级）")
async def list_organizations(
    principal: ReaderDep,
    session: SessionDep,
    root_id: uuid.UUID | None = Query(
        None, description="从哪个组织开始（含自身）；不填则列出本账号可见的全部组织"
    ),
    kind: OrgKind | None = Query(None, description="只列出这一类型"),
    include_inactive: bool = Query(False, description="是否包括已停用的组织"),
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> OrganizationPage:
    """By depth, then name: a page at a time, like every list (``paging``)."""
    after = decode_cursor(cursor, int, str, uuid.UUID) if cursor else None
    if root_id is not None:
        await organization_for(session, principal, Action.read, root_id)
    orgs = await service.list_subtree(
        session,
        root_id,
        kind=kind,
        include_inactive=include_inactive,
        limit=limit + 1,
        where=organizations_visible(principal, Action.read),
        after=after,
    )
    items, next_cursor = page_of(orgs, limit, lambda o: (len(o.ancestor_ids), o.name, o.id))
    return OrganizationPage(
        items=[OrganizationOut.model_validate(o) for o in items], next_cursor=next_cursor
    )


@router.get("/{org_id}", response_model=OrganizationOut, summary="查看组织")
async def get_organization(
    org_id: uuid.UUID, principal: ReaderDep, session: SessionDep
) -> OrganizationOut:
    return OrganizationOut.model_validate(
        await organization_for(session, principal, Action.read, org_id)
    )


@router.get("/{org_id}/children", response_model=OrganizationPage, summary="直接下级组织")
async def list_children(
    org_id: uuid.UUID,
    principal: ReaderDep,
    session: SessionDep,
    include_inactive: bool = Query(False, description="是否包括已停用的组织"),
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> OrganizationPage:
    after = decode_cursor(cursor, str, uuid.UUID) if cursor else None
    # The children of a node in reach are in reach too (a grant covers its subtree).
    await organization_for(session, principal, Action.read, org_id)
    orgs = await service.list_children(
        session, org_id, include_inactive=include_inactive, limit=limit + 1, after=after
    )
    items, next_cursor = page_of(orgs, limit, lambda o: (o.name, o.id))
    return OrganizationPage(
        items=[OrganizationOut.model_validate(o) for o in items], next_cursor=next_cursor
    )


@router.patch(
    "/{org_id}", response_model=OrganizationOut, summary="修改组织（名称、共建社区、设置）"
)
async def update_organization(
    org_id: uuid.UUID,
    body: OrganizationUpdate,
    principal: OrganizerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> OrganizationOut:
    current = await organization_for(session, principal, Action.organize, org_id)
    if body.co_building_community_ids is not None:
        # Links already there may stay; each one added must be in the caller's sight.
        kept = set(current.co_building_community_ids or [])
        added = [i for i in body.co_building_community_ids if i not in kept]
        await _check_communities_readable(session, principal, added)
    org = await service.update_organization(session, org_id, body, ctx)
    return OrganizationOut.model_validate(org)


@router.post(
    "/{org_id}/move",
    response_model=OrganizationOut,
    summary="调整上级组织（连同全部下级）",
    responses={403: {"description": "无权调整该组织，或这是本账号所管理的组织本身"}},
)
async def move_organization(
    org_id: uuid.UUID,
    body: OrganizationMove,
    principal: OrganizerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> OrganizationOut:
    org = await organization_for(session, principal, Action.organize, org_id)
    _refuse_own_node(principal, org)
    await organization_for(
        session, principal, Action.organize, body.parent_id, message=PARENT_NOT_FOUND
    )
    org = await service.move_organization(session, org_id, body, ctx)
    return OrganizationOut.model_validate(org)


@router.post(
    "/{org_id}/deactivate",
    response_model=OrganizationOut,
    summary="停用组织",
    responses={403: {"description": "无权停用该组织，或这是本账号所管理的组织本身"}},
)
async def deactivate_organization(
    org_id: uuid.UUID,
    body: OrganizationDeactivate,
    principal: OrganizerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> OrganizationOut:
    org = await organization_for(session, principal, Action.organize, org_id)
    _refuse_own_node(principal, org)
    org = await service.deactivate_organization(session, org_id, body, ctx)
    return OrganizationOut.model_validate(org)
