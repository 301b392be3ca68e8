"""The report-in's state as events carry it, written to the outbox keyed by member id."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.reportin.models import ReportIn
from shared.contracts import Contract
from shared.contracts.reportin import ReportInChanged, ReportInState
from shared.writes import WriteContext


def report_in_state(report: ReportIn) -> ReportInState:
    return ReportInState(
        report_in_id=report.id,
        version=report.version,
        member_id=report.member_id,
        unit_id=report.unit_id,
        community_id=report.community_id,
        organization_id=report.organization_id,
        district_id=report.district_id,
        status=report.status,
        reported_on=report.reported_on,
        ended_on=report.ended_on,
        end_reason=report.end_reason,
        updated_at=report.updated_at,
    )


async def publish(
    session: AsyncSession, ctx: WriteContext, contract: Contract, report: ReportIn
) -> None:
    await ctx.publish(
        session,
        contract,
        ReportInChanged(report_in=report_in_state(report)),
        key=report.member_id,  # in order with the member's own events
        district_id=report.district_id,
        community_id=report.community_id,
    )
