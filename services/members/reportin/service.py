"""Recording and ending report-ins (reads are in ``queries``). Services flush; the caller
commits. Every write adds an audit row and an event in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.organizations.models import Organization
from services.members.organizations.repository import OrganizationRepository
from services.members.registry.repository import MemberRepository
from services.members.reportin.events import publish, report_in_state
from services.members.reportin.models import ACTIVE, ENDED, ReportIn
from services.members.reportin.repository import ReportInRepository
from services.members.reportin.schemas import ReportInCreate, ReportInEnd
from shared.audit import anchors
from shared.contracts import Contract
from shared.contracts.reportin import REPORT_IN_ENDED, REPORT_IN_RECORDED
from shared.contracts.vocabulary import LIVE_STATUSES, OrgKind
from shared.errors import AppError, NotFound, invalid
from shared.writes import WriteContext


def snapshot(report: ReportIn) -> dict[str, Any]:
    return report_in_state(report).model_dump(mode="json")


def _not_future(field: str, day: date | None) -> date:
    today = date.today()
    if day is not None and day > today:
        raise invalid(field, "日期不能晚于今天")
    return day or today


async def _unit_of(session: AsyncSession, home_id: uuid.UUID | None) -> Organization:
    """The unit Party organization holding the member's organization relationship."""
    repo = OrganizationRepository(session)
    home = await repo.get(home_id) if home_id is not None else None
    if home is not None and home.kind == OrgKind.unit:
        return home
    ancestors = await repo.many(home.ancestor_ids) if home is not None else []
    unit = next((o for o in ancestors if o.kind == OrgKind.unit), None)
    if unit is None:
        raise AppError(
            409,
            "not_unit_member",
            "只有组织关系在单位党组织的在职党员才需到社区报到，该党员的组织关系不在单位党组织",
        )
    return unit


async def _serving_place(
    session: AsyncSession, community_id: uuid.UUID, organization_id: uuid.UUID | None
) -> Organization:
    community = await session.get(Organization, community_id)
    if community is None or community.status != "active":
        raise invalid("community_id", "报到社区不存在或已撤销")
    if community.kind != OrgKind.community:
        raise invalid("community_id", "报到的组织不是社区，请选择居住社区")
    if organization_id is not None:
        org = await session.get(Organization, organization_id)
        if org is None or org.status != "active":
            raise invalid("organization_id", "编入的党组织不存在或已撤销")
        if org.kind not in (OrgKind.branch, OrgKind.group) or org.community_id != community.id:
            raise invalid("organization_id", "只能编入报到社区内的党支部或党小组")
    return community


async def _audit(
    session: AsyncSession,
    report: ReportIn,
    action: str,
    before: dict[str, Any] | None,
    ctx: WriteContext,
) -> None:
    # The member's home organization (their unit's admin) and the serving community.
    member = await MemberRepository(session).get(report.member_id)
    home = member.home_organization_id if member is not None else report.unit_id
    await ctx.record(
        session,
        entity_type="report_in",
        entity_id=report.id,
        action=action,
        before=before,
        after=snapshot(report),
        organization_ids=anchors(home, report.community_id),
        district_id=report.district_id,
        community_id=report.community_id,
    )


async def _publish(
    session: AsyncSession, contract: Contract, report: ReportIn, ctx: WriteContext
) -> None:
    await publish(session, ctx, contract, report)


async def record_report_in(
    session: AsyncSession, member_id: uuid.UUID, data: ReportInCreate, ctx: WriteContext
) -> ReportIn:
    # The member's row lock serializes report-ins of one member (and deactivation).
    member = await MemberRepository(session).get(member_id, for_update=True)
    if member is None:
        raise NotFound("未找到该党员")
    if member.status not in LIVE_STATUSES:
        raise AppError(409, "member_inactive", "该党员记录已停用，不能报到")
    unit = await _unit_of(session, member.home_organization_id)
    reported_on = _not_future("reported_on", data.reported_on)
    community = await _serving_place(session, data.community_id, data.organization_id)
    repo = ReportInRepository(session)
    existing = await repo.active_for(member.id)
    if existing is not None:
        raise AppError(
            409,
            "report_in_active",
            "该党员已在社区报到，请先结束当前报到再重新报到",
            data=snapshot(existing),
        )
    report = await repo.add(
        ReportIn(
            id=uuid.uuid4(),
            member_id=member.id,
            unit_id=unit.id,
            community_id=community.id,
            organization_id=data.organization_id,
            district_id=community.district_id,
            status=ACTIVE,
            reported_on=reported_on,
            version=1,
        )
    )
    await _audit(session, report, "recorded", None, ctx)
    await _publish(session, REPORT_IN_RECORDED, report, ctx)
    return report


async def _end(
    session: AsyncSession, report: ReportIn, ended_on: date, reason: str, ctx: WriteContext
) -> ReportIn:
    if ended_on < report.reported_on:
        raise invalid("ended_on", "结束日期不能早于报到日期")
    before = snapshot(report)
    report.status, report.ended_on, report.end_reason = ENDED, ended_on, reason
    report.version += 1
    await session.flush()
    await session.refresh(report)
    await _audit(session, report, "ended", before, ctx)
    await _publish(session, REPORT_IN_ENDED, report, ctx)
    return report


async def end_report_in(
    session: AsyncSession, report_id: uuid.UUID, data: ReportInEnd, ctx: WriteContext
) -> ReportIn:
    report = await ReportInRepository(session).get(report_id, for_update=True)
    if report is None:
        raise NotFound("未找到该报到记录")
    if report.status != ACTIVE:
        raise AppError(409, "report_in_ended", "该报到已结束")
    return await _end(session, report, _not_future("ended_on", data.ended_on), data.reason, ctx)


async def end_active_report_in(
    session: AsyncSession, member_id: uuid.UUID, reason: str, ctx: WriteContext
) -> ReportIn | None:
    """End the member's active report-in today, if there is one (e.g. on deactivation).
    Runs in the caller's transaction; returns the ended report-in or ``None``. An empty
    ``reason`` is recorded as 党员记录停用."""
    report = await ReportInRepository(session).active_for(member_id, for_update=True)
    if report is None:
        return None
    reason = reason.strip()[:200] or "党员记录停用"
    return await _end(session, report, date.today(), reason, ctx)
