"""A service's directory: what it knows of the members service's members and
organizations, installed with one call.

    DIRECTORY = install_directory(ActivitiesBase, read=Action.read)

adds the ``member_projection``, ``organization_projection`` and ``report_in_projection``
tables to the service's
metadata (its migrations call ``shared.projections.migrations``), and gives the handlers
that keep them from the members service's events (for the service's handler table) and
the read routes over them, scoped with the service's ``read`` permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter

from shared.auth.roles import Permission
from shared.consumer import HandlerEntry
from shared.contracts.members import MEMBER_EVENT_TYPES
from shared.contracts.organizations import ORGANIZATION_EVENT_TYPES
from shared.contracts.reportin import REPORT_IN_EVENT_TYPES
from shared.projections.api import member_router, organization_router
from shared.projections.handlers import member_handler, organization_handler, report_in_handler
from shared.projections.models import (
    MemberProjectionColumns,
    OrganizationProjectionColumns,
    ReportInProjectionColumns,
)


@dataclass(frozen=True)
class Directory:
    members: type[MemberProjectionColumns]
    organizations: type[OrganizationProjectionColumns]
    report_ins: type[ReportInProjectionColumns]
    # Consumed event type -> handler; one handler instance per table, so consecutive
    # events of its types form one run and one upsert.
    handlers: dict[str, HandlerEntry]
    routers: list[APIRouter]


def install_directory(base: type[Any], *, read: Permission) -> Directory:
    """The projections as tables of ``base`` (a service's declarative base)."""
    module = base.__module__
    members: type[MemberProjectionColumns] = type(
        "MemberProjection",
        (MemberProjectionColumns, base),
        {
            "__tablename__": "member_projection",
            "__module__": module,
            "__doc__": "A member as this service knows them; only the members service changes "
            "members.",
        },
    )
    organizations: type[OrganizationProjectionColumns] = type(
        "OrganizationProjection",
        (OrganizationProjectionColumns, base),
        {
            "__tablename__": "organization_projection",
            "__module__": module,
            "__doc__": "An organization as this service knows it.",
        },
    )
    report_ins: type[ReportInProjectionColumns] = type(
        "ReportInProjection",
        (ReportInProjectionColumns, base),
        {
            "__tablename__": "report_in_projection",
            "__module__": module,
            "__doc__": "An in-service member's report-in as this service knows it.",
        },
    )
    on_member = member_handler(members)
    on_organization = organization_handler(organizations)
    return Directory(
        members=members,
        organizations=organizations,
        report_ins=report_ins,
        handlers={
            **dict.fromkeys(MEMBER_EVENT_TYPES, on_member),
            **dict.fromkeys(ORGANIZATION_EVENT_TYPES, on_organization),
            **dict.fromkeys(REPORT_IN_EVENT_TYPES, report_in_handler(report_ins)),
        },
        routers=[
            member_router(members, organizations, read),
            organization_router(organizations, read),
        ],
    )
