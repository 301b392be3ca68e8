"""What each side reads: a member's report-ins, the community's and the unit's lists,
and a unit's report-in rate (双报到率)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.organizations.models import Organization
from services.members.registry.repository import MemberRepository
from services.members.reportin.models import ReportIn
from services.members.reportin.repository import ReportInRepository, page_key
from services.members.reportin.schemas import (
    ReportInOut,
    ReportInPage,
    ReportInRate,
    ReportInStatus,
)
from shared.contracts.vocabulary import OrgKind
from shared.errors import NotFound
from shared.paging import decode_cursor, page_of


async def named(session: AsyncSession, report_id: uuid.UUID) -> ReportInOut:
    out = await ReportInRepository(session).named(report_id)
    if out is None:
        raise NotFound("未找到该报到记录")
    return out


async def member_history(
    session: AsyncSession, member_id: uuid.UUID, *, limit: int, cursor: str | None
) -> ReportInPage:
    if await MemberRepository(session).get(member_id) is None:
        raise NotFound("未找到该党员")
    return await _page(session, [ReportIn.member_id == member_id], limit, cursor)


async def _page(
    session: AsyncSession, where: list[ColumnElement[bool]], limit: int, cursor: str | None
) -> ReportInPage:
    after = decode_cursor(cursor, date, datetime, uuid.UUID) if cursor else None
    rows = await ReportInRepository(session).page(where, limit + 1, after)
    items, next_cursor = page_of(rows, limit, page_key)
    return ReportInPage(items=items, next_cursor=next_cursor)


async def _org_of_kind(
    session: AsyncSession, org_id: uuid.UUID, kind: OrgKind, message: str
) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None or org.kind != kind:
        raise NotFound(message)
    return org


async def listing(
    session: AsyncSession,
    *,
    community_id: uuid.UUID | None = None,
    unit_id: uuid.UUID | None = None,
    status: ReportInStatus | None,
    limit: int,
    cursor: str | None,
) -> ReportInPage:
    where: list[ColumnElement[bool]] = []
    if community_id is not None:
        await _org_of_kind(session, community_id, OrgKind.community, "未找到该社区")
        where.append(ReportIn.community_id == community_id)
    if unit_id is not None:
        await _org_of_kind(session, unit_id, OrgKind.unit, "未找到该单位党组织")
        where.append(ReportIn.unit_id == unit_id)
    if status is not None:
        where.append(ReportIn.status == status.value)
    return await _page(session, where, limit, cursor)


def rate_of(unit_id: uuid.UUID, members: int, reported: int) -> ReportInRate:
    rate = round(reported / members, 4) if members else 0.0
    return ReportInRate(
        unit_id=unit_id, in_service_members=members, reported_in=reported, rate=rate
    )


async def unit_rates(
    session: AsyncSession, unit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, ReportInRate]:
    counts = await ReportInRepository(session).rates(unit_ids)
    return {u: rate_of(u, *counts.get(u, (0, 0))) for u in unit_ids}


async def unit_rate(session: AsyncSession, unit_id: uuid.UUID) -> ReportInRate:
    await _org_of_kind(session, unit_id, OrgKind.unit, "未找到该单位党组织")
    return (await unit_rates(session, [unit_id]))[unit_id]
