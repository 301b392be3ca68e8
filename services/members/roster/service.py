"""Importing a roster (党员台账导入): check every row first, then register the good ones in
the caller's transaction, as sets (``registry.bulk``). Services flush; the caller commits.
The file is read and its rows parsed on the upload threads (``shared.uploads``), not on
the event loop. Rows of people already in the community's roster are recognised and left
as they are (:mod:`.known`): an exported roster imports again as it is.

Without ``partial`` nothing is written unless every row is good. With ``partial`` the
good rows are written. A row can still fail while written — the same person registered
concurrently — and then the import is written again row by row, each under its own
SAVEPOINT, so the report names the row and nothing of it is left behind."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.registry import bulk, duplicates
from services.members.registry.schemas import MemberCreate
from services.members.registry.service import register_member, registration_values
from services.members.roster.columns import FIELD_HEADERS
from services.members.roster.directory import OrgDirectory, OrgEntry
from services.members.roster.files import read_table
from services.members.roster.known import KnownMembers
from services.members.roster.parse import ParsedRow, RosterError, parse_table
from services.members.roster.repository import Found, RosterRepository
from shared.errors import AppError, NotFound
from shared.log import get_logger
from shared.uploads import UploadRejected, off_loop
from shared.writes import WriteContext

log = get_logger(__name__)

# Called as rows are checked and written: (stage, rows done, rows in all).
Progress = Callable[[str, int, int], None]
# Rows per INSERT batch: the progress bar moves and memory stays flat on big files.
CHUNK = 1_000
# A checked row: its member columns (placement and the ID number's dates filled in).
Ready = tuple[ParsedRow, dict[str, Any]]


class ImportReport(BaseModel):
    total: int = Field(description="文件中的数据行数")
    created: int = Field(description="新登记的党员数（试导入时为可登记的人数）")
    already_registered: list[int] = Field(
        default_factory=list, description="已在本社区登记、未改动的行（行号）"
    )
    dry_run: bool
    errors: list[RosterError] = Field(description="有误的行：行号、列名、原因")
    summary: str


class RosterInvalid(AppError):
    """Bad rows and no ``partial``: nothing was written. The whole report is the error's
    ``data``; its ``errors`` are the one shape roster errors have (row, column, message),
    so ``details`` stays empty rather than saying the same in another shape."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(422, "roster_invalid", report.summary, data=report.model_dump())
        self.report = report


def _where(error: RosterError) -> str:
    return f"第{error.row}行" + (f"「{error.column}」" if error.column else "")


async def get_community_name(session: AsyncSession, community_id: uuid.UUID) -> str:
    community = await RosterRepository(session).community(community_id)
    if community is None:
        raise NotFound("未找到该社区")
    return community.name


async def import_roster(
    session: AsyncSession,
    community_id: uuid.UUID,
    data: bytes,
    filename: str | None,
    ctx: WriteContext,
    *,
    partial: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    repo = RosterRepository(session)
    if await repo.community(community_id) is None:
        raise NotFound("未找到该社区")
    try:
        table = await off_loop(read_table, data, filename)
    except UploadRejected as exc:
        raise AppError(422, "roster_unreadable", exc.message) from None
    # Held until the import returns, so that ``place`` finds each row's organization in the
    # session rather than loading it again for every row (the session keeps only weak
    # references to what it has loaded).
    organizations = await repo.organization_rows(community_id)
    directory = OrgDirectory(OrgEntry(o.id, o.name, o.kind, o.parent_id) for o in organizations)
    parsed = await off_loop(parse_table, table, directory, community_id)
    total = len(parsed.rows)
    if parsed.header_errors:
        report = _report(total, 0, [], parsed.header_errors, dry_run=dry_run, partial=False)
        raise RosterInvalid(report)
    known = KnownMembers(await repo.roster_entries(community_id))
    ready = await _check_rows(session, parsed.rows, known, ctx, progress)
    already = [r.row for r in parsed.rows if r.already_registered]
    errors = [e for r in parsed.rows for e in r.errors]
    good = [(r, values) for r, values in ready if not r.errors]
    if errors and not partial:
        raise RosterInvalid(_report(total, 0, already, errors, dry_run=dry_run, partial=False))
    created = len(good) if dry_run else await _write(session, good, ctx, partial, progress)
    errors = sorted((e for r in parsed.rows for e in r.errors), key=lambda e: e.row)
    if errors and not partial:  # a row failed while written: roll everything back
        raise RosterInvalid(_report(total, 0, already, errors, dry_run=dry_run, partial=False))
    report = _report(total, created, already, errors, dry_run=dry_run, partial=partial)
    log.info(
        "roster.imported",
        community_id=str(community_id),
        total=total,
        created=created,
        already_registered=len(already),
        bad_rows=len({e.row for e in errors}),
        dry_run=dry_run,
    )
    return report


async def _check_rows(
    session: AsyncSession,
    rows: list[ParsedRow],
    known: KnownMembers,
    ctx: WriteContext,
    progress: Progress | None,
) -> list[Ready]:
    """What needs the database, without writing: placement, dates against the ID number,
    and one person one record, both against the file's earlier rows and the registry.
    Returns the rows that passed the per-row checks with the columns they would write
    (a registry duplicate is added to the row's errors). Rows of people already in the
    community's roster are marked and go no further."""
    seen_ids: dict[str, int] = {}
    seen_name_mobiles: dict[tuple[str, str], int] = {}
    unique: list[tuple[ParsedRow, MemberCreate, dict[str, Any]]] = []
    for done, row in enumerate(rows, start=1):
        if progress is not None:
            progress("检查", done, len(rows))
        if row.member is None:
            continue
        data = row.member
        if known.includes(data):
            row.already_registered = True
            continue
        try:
            values = await registration_values(session, data)
        except AppError as exc:
            row.errors += _app_errors(row.row, exc)
            continue
        if data.id_number:
            first = seen_ids.setdefault(data.id_number, row.row)
            if first != row.row:
                row.errors.append(_same_person(row.row, "身份证号", f"与第{first}行身份证号相同"))
                continue
        if data.mobile:
            first = seen_name_mobiles.setdefault((data.name, data.mobile), row.row)
            if first != row.row:
                message = f"与第{first}行姓名、手机号都相同"
                row.errors.append(_same_person(row.row, "手机号", message))
                continue
        unique.append((row, data, values))
    # Against the registry: MemberRepository.find_duplicate's rules (ID number in the
    # district first, then name and mobile anywhere), for all rows in two queries.
    ids, name_mobiles = await RosterRepository(session).registered(
        [(values["district_id"], data.id_number) for _, data, values in unique if data.id_number],
        [(data.name, data.mobile) for _, data, _ in unique if data.mobile],
    )
    found = [*ids.values(), *name_mobiles.values()]
    visible = await duplicates.in_sight(session, ctx.principal, {m for m, _ in found})
    names = await duplicates.community_names(session, {c for m, c in found if m not in visible})
    for row, data, values in unique:
        if data.id_number and (values["district_id"], data.id_number) in ids:
            existing = ids[(values["district_id"], data.id_number)]
            message = "已有相同身份证号的党员记录"
            row.errors.append(_registered(row.row, "身份证号", message, existing, visible, names))
        elif data.mobile and (data.name, data.mobile) in name_mobiles:
            existing = name_mobiles[(data.name, data.mobile)]
            message = "已有同名且手机号相同的党员记录"
            row.errors.append(_registered(row.row, "手机号", message, existing, visible, names))
    return [(row, values) for row, _, values in unique]


def _registered(
    row: int,
    column: str,
    message: str,
    existing: Found,
    visible: set[uuid.UUID],
    names: dict[uuid.UUID, str],
) -> RosterError:
    """A row naming someone already registered: the caller who can read the record is
    told so; anyone else only which community has them (``registry.duplicates``)."""
    member_id, community_id = existing
    if member_id in visible:
        return _same_person(row, column, message)
    outcome = "是同一人，未重复导入"
    return RosterError(
        row=row,
        column=column,
        message=duplicates.registered_elsewhere(names.get(community_id), outcome),
    )


def _same_person(row: int, column: str, message: str) -> RosterError:
    return RosterError(row=row, column=column, message=f"{message}，是同一人，未重复导入")


def _app_errors(row: int, exc: AppError) -> list[RosterError]:
    if not exc.details:
        return [RosterError(row=row, column=None, message=exc.message)]
    return [
        RosterError(row=row, column=FIELD_HEADERS.get(d.field or ""), message=d.message)
        for d in exc.details
    ]


async def _write(
    session: AsyncSession,
    ready: list[Ready],
    ctx: WriteContext,
    partial: bool,
    progress: Progress | None,
) -> int:
    at = await bulk.now(session)
    members = [bulk.new_row(values, at) for _, values in ready]
    try:
        async with session.begin_nested():
            for start in range(0, len(members), CHUNK):
                chunk = members[start : start + CHUNK]
                notes = [_note(row) for row, _ in ready[start : start + CHUNK]]
                await bulk.register_all(session, chunk, ctx, notes)
                if progress is not None:
                    progress("写入", start + len(chunk), len(members))
    except IntegrityError:  # someone registered one of these people meanwhile
        log.info("roster.write_row_by_row", rows=len(ready))
        return await _write_each(session, [row for row, _ in ready], ctx, partial, progress)
    return len(members)


def _note(row: ParsedRow) -> dict[str, Any]:
    return {"source": "roster_import", "row": row.row}


async def _write_each(
    session: AsyncSession,
    rows: list[ParsedRow],
    ctx: WriteContext,
    partial: bool,
    progress: Progress | None,
) -> int:
    created = 0
    for done, row in enumerate(rows, start=1):
        assert row.member is not None
        try:
            if partial:
                async with session.begin_nested():
                    await register_member(session, row.member, ctx)
            else:
                await register_member(session, row.member, ctx)
        except AppError as exc:
            row.errors += _app_errors(row.row, exc)
            if not partial:
                return created
        except IntegrityError:  # the same person registered concurrently
            row.errors.append(_same_person(row.row, "身份证号", "已有相同身份证号的党员记录"))
            if not partial:
                return created
        else:
            created += 1
        if progress is not None:
            progress("写入", done, len(rows))
    return created


def _report(
    total: int,
    created: int,
    already: list[int],
    errors: list[RosterError],
    *,
    dry_run: bool,
    partial: bool,
) -> ImportReport:
    bad = len({e.row for e in errors})
    prefix = "试导入：" if dry_run else ""
    tail = "；未写入任何数据" if dry_run else ""
    known = f"，{len(already)} 名已在本社区登记（未改动）" if already else ""
    missing = [e.column for e in errors if e.message.startswith("缺少必需的列")]
    if missing:
        summary = f"缺少必需的列：{'、'.join(c or '' for c in missing)}，未导入任何数据"
    elif not errors:
        verb = "均可导入" if dry_run else "已全部导入"
        summary = f"{prefix}共 {total} 行，{verb}（新增党员 {created} 名{known}）{tail}"
    elif not partial:
        summary = f"{prefix}共 {total} 行，其中 {bad} 行有误，未导入任何数据；请修改后重新导入"
    else:
        verb = "可导入" if dry_run else "已导入"
        summary = f"{prefix}共 {total} 行，{verb} {created} 行{known}，{bad} 行有误未导入{tail}"
    return ImportReport(
        total=total,
        created=created,
        already_registered=already,
        dry_run=dry_run,
        errors=errors,
        summary=summary,
    )


def render_report(report: ImportReport) -> str:
    """The report as staff read it (the command line prints this)."""
    lines = [report.summary]
    lines += [f"  {_where(e)}：{e.message}" for e in report.errors]
    return "\n".join(lines)
