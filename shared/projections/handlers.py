"""Batch handlers that keep a service's member and organization projections.

Each builder returns one :class:`BatchHandler` per table: register that one instance for
every event type it takes, so consecutive events of those types form one run and one
upsert, and the version check keeps the newest state whatever the order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.consumer import BatchHandler
from shared.contracts.members import MemberChanged, MemberMerged, MemberRegistered, member_states
from shared.contracts.organizations import OrganizationChanged
from shared.contracts.reportin import ReportInChanged
from shared.envelope import EventEnvelope
from shared.projections.models import (
    MemberProjectionColumns,
    OrganizationProjectionColumns,
    ReportInProjectionColumns,
)
from shared.projections.upsert import upsert_many_if_newer

MemberEvents = Sequence[tuple[EventEnvelope, MemberRegistered | MemberChanged | MemberMerged]]
OrganizationEvents = Sequence[tuple[EventEnvelope, OrganizationChanged]]
ReportInEvents = Sequence[tuple[EventEnvelope, ReportInChanged]]


def member_handler(model: type[MemberProjectionColumns]) -> BatchHandler:
    """For every member event type (``MEMBER_EVENT_TYPES``): a merge carries two states."""
    table = cast(Table, model.__table__)

    async def project_members(session: AsyncSession, events: MemberEvents) -> None:
        """One upsert for a whole run of member events; the version check keeps the newest."""
        rows: list[dict[str, Any]] = [
            {
                "member_id": s.member_id,
                "version": s.version,
                "name": s.name,
                "district_id": s.district_id,
                "community_id": s.community_id,
                "branch_id": s.branch_id,
                "home_organization_id": s.home_organization_id,
                "status": s.status,
                "gender": s.gender,
                "birth_date": s.birth_date,
                "categories": list(s.categories),
                "specialties": list(s.specialties),
                "joined_at": s.joined_at,
                "lives_in_area": s.lives_in_area,
                "updated_at": s.updated_at,
            }
            for _, payload in events
            for s in member_states(payload)
        ]
        await upsert_many_if_newer(session, table, rows, key=["member_id"])

    return BatchHandler(project_members)


def organization_handler(model: type[OrganizationProjectionColumns]) -> BatchHandler:
    """For organization.created / updated / deactivated, which all carry the full state
    (a move re-roots a subtree in one burst of updates)."""
    table = cast(Table, model.__table__)

    async def project_organizations(session: AsyncSession, events: OrganizationEvents) -> None:
        """One upsert for a whole run of organization events; the newest version wins."""
        rows: list[dict[str, Any]] = [
            {
                "organization_id": s.organization_id,
                "version": s.version,
                "kind": s.kind,
                "name": s.name,
                "parent_id": s.parent_id,
                "ancestor_ids": s.ancestor_ids,
                "district_id": s.district_id,
                "community_id": s.community_id,
                "status": s.status,
                "co_building_community_ids": s.co_building_community_ids,
                "branch_kind": s.branch_kind,
                "updated_at": s.updated_at,
            }
            for s in (payload.organization for _, payload in events)
        ]
        await upsert_many_if_newer(session, table, rows, key=["organization_id"])

    return BatchHandler(project_organizations)


def report_in_handler(model: type[ReportInProjectionColumns]) -> BatchHandler:
    """For report_in.recorded / ended, which carry the report-in's full state."""
    table = cast(Table, model.__table__)

    async def project_report_ins(session: AsyncSession, events: ReportInEvents) -> None:
        """One upsert for a whole run of report-in events; the newest version wins."""
        rows: list[dict[str, Any]] = [
            {
                "report_in_id": s.report_in_id,
                "version": s.version,
                "member_id": s.member_id,
                "unit_id": s.unit_id,
                "community_id": s.community_id,
                "organization_id": s.organization_id,
                "district_id": s.district_id,
                "status": s.status,
                "reported_on": s.reported_on,
                "ended_on": s.ended_on,
                "updated_at": s.updated_at,
            }
            for s in (payload.report_in for _, payload in events)
        ]
        await upsert_many_if_newer(session, table, rows, key=["report_in_id"])

    return BatchHandler(project_report_ins)
