"""Report-in (双报到) endpoints: the member's, the community's and the unit's side.

Access (Step 3):
- Recording needs ``write`` on the member (the admin of the member's unit, or the admins
  above it or of the member's residential community). The community reported to must be
  one the caller can read, the member's own residential community, or one the member's
  unit co-builds with (共驻共建); any other community answers like one that does not
  exist (422 on ``community_id``), so ids out of sight reveal nothing.
- Ending needs ``write`` on the report-in's member; reading one, or a member's list,
  ``read`` on the member. A report-in out of sight answers 404.
- ``/communities/{id}/report-ins`` needs ``read`` on the community.
- ``/units/{id}/report-ins`` and ``/report-in-rate`` are report endpoints a unit system
  may call with its API key too (a key reads its own unit only; another unit is 404)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import status as http_status
from sqlalchemy import Uuid, any_, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import member_for, organization_for, organizations_visible
from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.policy import Action
from services.members.reportin import queries, service
from services.members.reportin.models import ReportIn
from services.members.reportin.schemas import (
    ReportInCreate,
    ReportInEnd,
    ReportInOut,
    ReportInPage,
    ReportInRate,
    ReportInStatus,
)
from shared.auth.deps import PrincipalDep, require
from shared.auth.principal import Principal
from shared.auth.roles import Permission
from shared.contracts.vocabulary import OrgKind
from shared.errors import AppError, NotFound, invalid
from shared.paging import CURSOR, LIMIT
from shared.runtime import SessionDep
from shared.writes import WriteDep

router = APIRouter(tags=["在职党员报到"])

__all__ = ["ReportIn", "router"]  # the model: the app's schema is whole

STATUS = Query(None, description="active：报到中；ended：已结束；不填则全部")

REPORT_IN_NOT_FOUND = "未找到该报到记录"
COMMUNITY_NOT_FOUND = "未找到该社区"
UNIT_NOT_FOUND = "未找到该单位党组织"
NO_COMMUNITY = "报到社区不存在或已撤销"  # the service's words for an unknown community

# Report endpoints: staff, or a unit system with its API key (read only, its own unit).
ReportReaderDep = Annotated[Principal, Depends(require(Action.read, api_keys=True))]


async def _may_serve_in(
    session: AsyncSession, principal: Principal, member: Member, community_id: uuid.UUID
) -> bool:
    """The community is in the caller's sight, is the member's residential community, or
    is co-built with by the unit holding the member's organization relationship."""
    if community_id == member.community_id:
        return True
    in_sight = select(Organization.id).where(
        Organization.id == community_id, organizations_visible(principal, Action.read)
    )
    if await session.scalar(select(in_sight.exists())):
        return True
    home = (
        await session.get(Organization, member.home_organization_id)
        if member.home_organization_id is not None
        else None
    )
    if home is None:
        return False
    co_building = exists().where(
        Organization.id.in_([home.id, *home.ancestor_ids]),
        Organization.kind == OrgKind.unit,
        literal(community_id, Uuid) == any_(Organization.co_building_community_ids),
    )
    return bool(await session.scalar(select(co_building)))


async def _report_in_for(
    session: AsyncSession, principal: Principal, action: Permission, report_in_id: uuid.UUID
) -> ReportIn:
    """The report-in when ``action`` is allowed on its member; 404 out of sight."""
    report = await session.get(ReportIn, report_in_id)
    if report is None:
        raise NotFound(REPORT_IN_NOT_FOUND)
    try:
        await member_for(session, principal, action, report.member_id)
    except AppError as error:
        if error.status == 404:
            raise NotFound(REPORT_IN_NOT_FOUND) from None
        raise
    return report


@router.post(
    "/members/{member_id}/report-in",
    status_code=http_status.HTTP_201_CREATED,
    response_model=ReportInOut,
    summary="在职党员到居住社区报到",
    responses={
        403: {"description": "可以查看该党员，但无权为其登记报到"},
        404: {"description": "党员不存在"},
        409: {"description": "党员已停用、组织关系不在单位党组织，或已有报到中的记录"},
        422: {"description": "社区、编入的党组织或日期有误"},
    },
)
async def record_report_in(
    member_id: uuid.UUID,
    body: ReportInCreate,
    principal: PrincipalDep,
    session: SessionDep,
    ctx: WriteDep,
) -> ReportInOut:
    # Locked now: the service locks the member too, and must not see a stale copy.
    member = await member_for(session, principal, Action.write, member_id, for_update=True)
    if not await _may_serve_in(session, principal, member, body.community_id):
        raise invalid("community_id", NO_COMMUNITY)
    ctx = ctx
    report = await service.record_report_in(session, member_id, body, ctx)
    return await queries.named(session, report.id)


@router.post(
    "/report-ins/{report_in_id}/end",
    response_model=ReportInOut,
    summary="结束报到",
    responses={
        403: {"description": "可以查看该报到，但无权结束"},
        404: {"description": "报到记录不存在"},
        409: {"description": "报到已结束"},
    },
)
async def end_report_in(
    report_in_id: uuid.UUID,
    body: ReportInEnd,
    principal: PrincipalDep,
    session: SessionDep,
    ctx: WriteDep,
) -> ReportInOut:
    await _report_in_for(session, principal, Action.write, report_in_id)
    ctx = ctx
    report = await service.end_report_in(session, report_in_id, body, ctx)
    return await queries.named(session, report.id)


@router.get("/report-ins/{report_in_id}", response_model=ReportInOut, summary="查看报到记录")
async def get_report_in(
    report_in_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> ReportInOut:
    await _report_in_for(session, principal, Action.read, report_in_id)
    return await queries.named(session, report_in_id)


@router.get(
    "/members/{member_id}/report-ins",
    response_model=ReportInPage,
    summary="党员的报到记录（含已结束）",
)
async def member_report_ins(
    member_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> ReportInPage:
    await member_for(session, principal, Action.read, member_id)
    return await queries.member_history(session, member_id, limit=limit, cursor=cursor)


@router.get(
    "/communities/{community_id}/report-ins",
    response_model=ReportInPage,
    summary="到本社区报到的在职党员",
)
async def community_report_ins(
    community_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    status: ReportInStatus | None = STATUS,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> ReportInPage:
    await organization_for(
        session, principal, Action.read, community_id, message=COMMUNITY_NOT_FOUND
    )
    return await queries.listing(
        session, community_id=community_id, status=status, limit=limit, cursor=cursor
    )


@router.get(
    "/units/{unit_id}/report-ins",
    response_model=ReportInPage,
    summary="本单位在职党员的社区报到情况（可用单位 API 密钥调用）",
)
async def unit_report_ins(
    unit_id: uuid.UUID,
    principal: ReportReaderDep,
    session: SessionDep,
    status: ReportInStatus | None = STATUS,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> ReportInPage:
    await organization_for(session, principal, Action.read, unit_id, message=UNIT_NOT_FOUND)
    return await queries.listing(
        session, unit_id=unit_id, status=status, limit=limit, cursor=cursor
    )


@router.get(
    "/units/{unit_id}/report-in-rate",
    response_model=ReportInRate,
    summary="单位在职党员报到率（可用单位 API 密钥调用）",
)
async def unit_report_in_rate(
    unit_id: uuid.UUID, principal: ReportReaderDep, session: SessionDep
) -> ReportInRate:
    await organization_for(session, principal, Action.read, unit_id, message=UNIT_NOT_FOUND)
    return await queries.unit_rate(session, unit_id)
