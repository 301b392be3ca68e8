"""Exporting a community's roster (党员台账导出) as the .xlsx staff keep: the import's
columns plus 状态, so an exported file can be imported again."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.registry.present import MASKS
from services.members.registry.schemas import Category, Education, Gender, MemberStatus
from services.members.roster.columns import (
    CATEGORY_LABELS,
    COLUMNS,
    EDUCATION_LABELS,
    GENDER_LABELS,
    NO,
    STATUS_LABELS,
    YES,
    Column,
    Kind,
)
from services.members.roster.directory import OrgDirectory
from services.members.roster.files import SHEET_NAME
from services.members.roster.repository import RosterRepository
from shared.errors import NotFound

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"


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


def workbook_bytes(
    members: Sequence[Member], directory: OrgDirectory, *, masked: bool = False
) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    sheet.append([c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for member in members:
        sheet.append([cell_value(c, member, directory, masked=masked) for c in COLUMNS])
    for i, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = column.width
        if column.kind == Kind.date:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = DATE_FORMAT
        elif column.kind in (Kind.id_number, Kind.mobile):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "@"  # text: Excel must not turn an ID into 1.1E+17
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


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
    homes = sorted({m.home_organization_id for m in members if m.home_organization_id})
    directory = OrgDirectory(await repo.organizations(community_id, also=homes))
    # Grouped by organization, as staff keep a roster; stable, so exports compare.
    ordered = sorted(members, key=lambda m: (directory.label(m.home_organization_id), m.name))
    content = workbook_bytes(ordered, directory, masked=masked)
    return f"{community.name}党员台账.xlsx", content


def content_disposition(filename: str) -> str:
    """RFC 6266 with an ASCII fallback and the real name RFC 5987-encoded."""
    fallback = f"roster-{date.today().isoformat()}.xlsx"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
