"""Exporting a community's roster (党员台账导出) as the .xlsx staff keep: the import's
columns plus 状态, so an exported file can be imported again. Written through
:mod:`shared.spreadsheets.writer`: no name or address becomes a live formula."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.registry.present import MASKS
from services.members.registry.schemas import Education, Gender
from services.members.roster.columns import (
    COLUMNS,
    EDUCATION_LABELS,
    GENDER_LABELS,
    NO,
    YES,
    Column,
    Kind,
)
from services.members.roster.directory import OrgDirectory
from services.members.roster.files import SHEET_NAME
from services.members.roster.repository import RosterRepository
from shared.contracts.vocabulary import CATEGORY_LABELS, STATUS_LABELS, Category, MemberStatus
from shared.errors import NotFound
from shared.spreadsheets.writer import (
    DATE_FORMAT,
    TEXT_FORMAT,
    SheetColumn,
    xlsx_bytes,
)
from shared.uploads import off_loop


def cell_value(
    column: Column, member: Member, directory: OrgDirectory, *, masked: bool = False
) -> Any:
    value = getattr(member, column.field)
    if value is None:
        return None
    if masked and column.field in MASKS:
        return MASKS[column.field](value)
    match column.kind:
        case Kind.gender:
            return GENDER_LABELS.get(Gender(value), value)
        case Kind.education:
            return EDUCATION_LABELS.get(Education(value), value)
        case Kind.tags:
            return "、".join(value) or None
        case Kind.categories:
            return "、".join(CATEGORY_LABELS.get(Category(c), c) for c in value) or None
        case Kind.organization:
            return directory.label(value)
        case Kind.yes_no:
            return YES if value else NO
        case Kind.status:
            return STATUS_LABELS.get(MemberStatus(value), value)
        case _:
            return value


def sheet_columns() -> list[SheetColumn]:
    formats = {Kind.date: DATE_FORMAT, Kind.id_number: TEXT_FORMAT, Kind.mobile: TEXT_FORMAT}
    # Text format on ID numbers and mobiles: Excel must not turn an ID into 1.1E+17.
    return [SheetColumn(c.header, c.width, formats.get(c.kind)) for c in COLUMNS]


def sheet_rows(
    members: Sequence[Member], directory: OrgDirectory, *, masked: bool = False
) -> list[list[Any]]:
    return [[cell_value(c, m, directory, masked=masked) for c in COLUMNS] for m in members]


async def export_roster(
    session: AsyncSession,
    community_id: uuid.UUID,
    status: MemberStatus | None = None,
    *,
    masked: bool = False,
) -> tuple[str, bytes]:
    """The file name and the .xlsx of one community's members. ``masked``: mobile, ID
    number and address masked as for callers who may not see them (such a file can't be
    imported again: the community's own admins get it in full)."""
    repo = RosterRepository(session)
    community = await repo.community(community_id)
    if community is None:
        raise NotFound("未找到该社区")
    members = await repo.members(community_id, status)
    # The import's directory, so that every name written here reads back to the same
    # organization there (in-service residents' units included).
    directory = OrgDirectory(await repo.organizations(community_id))
    # Grouped by organization, as staff keep a roster; stable, so exports compare.
    ordered = sorted(members, key=lambda m: (directory.label(m.home_organization_id), m.name))
    rows = sheet_rows(ordered, directory, masked=masked)
    # Writing 20,000 rows of XML is seconds of CPU: not on the event loop.
    content = await off_loop(xlsx_bytes, SHEET_NAME, sheet_columns(), rows)
    return f"{community.name}党员台账.xlsx", content


def content_disposition(filename: str) -> str:
    """RFC 6266 with an ASCII fallback and the real name RFC 5987-encoded."""
    fallback = f"roster-{date.today().isoformat()}.xlsx"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
