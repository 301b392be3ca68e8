"""All SQL of report-ins: rows, lists with the names both sides read, and rates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.reportin.models import ACTIVE, ReportIn
from services.members.reportin.schemas import ReportInOut
from shared.contracts.vocabulary import LIVE_STATUSES

_unit = aliased(Organization, name="unit")
_community = aliased(Organization, name="community")
_group = aliased(Organization, name="serving_organization")


def _named() -> Select[ReportIn, str, str, str, str]:  # the last name is None without a group
    return (
        select(ReportIn, Member.name, _unit.name, _community.name, _group.name)
        .join(Member, Member.id == ReportIn.member_id)
        .join(_unit, _unit.id == ReportIn.unit_id)
        .join(_community, _community.id == ReportIn.community_id)
        .outerjoin(_group, _group.id == ReportIn.organization_id)
    )


def _out(row: Any) -> ReportInOut:
    report, member_name, unit_name, community_name, organization_name = row
    return ReportInOut(
        id=report.id,
        member_id=report.member_id,
        member_name=member_name,
        unit_id=report.unit_id,
        unit_name=unit_name,
        community_id=report.community_id,
        community_name=community_name,
        organization_id=report.organization_id,
        organization_name=organization_name,
        district_id=report.district_id,
        status=report.status,
        reported_on=report.reported_on,
        ended_on=report.ended_on,
        end_reason=report.end_reason,
        version=report.version,
        created_at=report.created_at,
        updated_at=report.updated_at,
    )


def page_key(report: ReportInOut) -> tuple[date, datetime, uuid.UUID]:
    return report.reported_on, report.created_at, report.id


class ReportInRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, report: ReportIn) -> ReportIn:
        self.session.add(report)
        await self.session.flush()
        await self.session.refresh(report)  # server-side timestamps
        return report

    async def get(self, report_id: uuid.UUID, *, for_update: bool = False) -> ReportIn | None:
        query = select(ReportIn).where(ReportIn.id == report_id)
        if for_update:
            query = query.with_for_update()
        query = query.execution_options(populate_existing=True)
        return (await self.session.scalars(query)).one_or_none()

    async def active_for(
        self, member_id: uuid.UUID, *, for_update: bool = False
    ) -> ReportIn | None:
        query = select(ReportIn).where(ReportIn.member_id == member_id, ReportIn.status == ACTIVE)
        if for_update:
            query = query.with_for_update()
        query = query.execution_options(populate_existing=True)
        return (await self.session.scalars(query)).one_or_none()

    async def named(self, report_id: uuid.UUID) -> ReportInOut | None:
        row = (await self.session.execute(_named().where(ReportIn.id == report_id))).one_or_none()
        return _out(row) if row is not None else None

    async def page(
        self,
        where: Sequence[ColumnElement[bool]],
        limit: int,
        after: tuple[date, datetime, uuid.UUID] | None = None,
    ) -> list[ReportInOut]:
        """Newest first: by report date, then creation, then id (:func:`page_key`);
        ``after``: the key the previous page ended with."""
        key = tuple_(ReportIn.reported_on, ReportIn.created_at, ReportIn.id)
        query = _named().where(*where)
        if after is not None:
            query = query.where(key < after)
        order = (ReportIn.reported_on.desc(), ReportIn.created_at.desc(), ReportIn.id.desc())
        rows = await self.session.execute(query.order_by(*order).limit(limit))
        return [_out(r) for r in rows.all()]

    async def rates(self, unit_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
        """Per unit: (live members whose home organization is the unit or under it,
        how many of them have an active report-in)."""
        if not unit_ids:
            return {}
        unit, home = aliased(Organization), aliased(Organization)
        under = home.ancestor_ids.op("@>")(postgresql.array([unit.id]))
        reported = exists().where(ReportIn.member_id == Member.id, ReportIn.status == ACTIVE)
        rows = await self.session.execute(
            select(unit.id, func.count(Member.id), func.count(Member.id).filter(reported))
            .select_from(unit)
            .join(home, or_(home.id == unit.id, under))
            .join(
                Member,
                and_(Member.home_organization_id == home.id, Member.status.in_(LIVE_STATUSES)),
            )
            .where(unit.id.in_(unit_ids))
            .group_by(unit.id)
        )
        return {i: (int(n), int(r)) for i, n, r in rows.all()}
