"""A unit's sync: check every row, diff against the registry, write it all or report.
Flushes only; the entrypoint's transaction commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.organizations.models import Organization
from services.members.registry import bulk as registry_bulk
from services.members.registry import duplicates
from services.members.registry.service import check_identity_and_dates
from services.members.sync import bulk
from services.members.sync.plan import Change, Plan, Row, plan_sync
from services.members.sync.schemas import (
    RowError,
    SyncCounts,
    SyncItem,
    SyncReport,
    SyncRequest,
    SyncRow,
    summary_line,
)
from shared.contracts.vocabulary import OrgKind
from shared.errors import AppError, NotFound, validation_message
from shared.log import get_logger
from shared.writes import WriteContext

log = get_logger(__name__)

_ENUMS = ("gender", "education")


@dataclass
class Checked:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    listed: dict[str, int] = field(default_factory=dict)  # external id -> first row
    unidentified: int = 0  # rows without a usable external id


async def _unit(session: AsyncSession, unit_id: uuid.UUID, *, lock: bool) -> Organization:
    # The lock makes two syncs of one unit run one after the other.
    query = select(Organization).where(Organization.id == unit_id)
    unit = (await session.scalars(query.with_for_update() if lock else query)).first()
    if unit is None or unit.kind != OrgKind.unit:
        raise NotFound("未找到该单位党组织")
    if unit.status != "active":
        raise AppError(409, "organization_inactive", "该单位党组织已撤销，不能同步党员")
    return unit


def parse_rows(members: Sequence[dict[str, Any]]) -> tuple[list[tuple[int, SyncRow]], Checked]:
    """Validate each row on its own (fields, ID number, mobile); no SQL."""
    checked = Checked()
    parsed: list[tuple[int, SyncRow]] = []
    for i, raw in enumerate(members):
        ext = raw.get("external_id")
        external_id = ext.strip() if isinstance(ext, str) and ext.strip() else None
        if external_id is None:
            checked.unidentified += 1
        elif external_id in checked.listed:
            first = checked.listed[external_id]
            message = f"与第 {first} 行的本单位编号重复"
            checked.errors.append(
                RowError(row=i, external_id=external_id, field="external_id", message=message)
            )
            continue
        else:
            checked.listed[external_id] = i
        try:
            parsed.append((i, SyncRow.model_validate(raw)))
        except ValidationError as exc:
            for e in exc.errors():
                name = ".".join(str(p) for p in e.get("loc", ())) or None
                checked.errors.append(
                    RowError(
                        row=i, external_id=external_id, field=name, message=validation_message(e)
                    )
                )
    return parsed, checked


async def check_rows(
    session: AsyncSession, unit: Organization, members: Sequence[dict[str, Any]]
) -> Checked:
    parsed, checked = parse_rows(members)
    wanted = {r.community_id for _, r in parsed if r.community_id is not None}
    places = await bulk.communities(session, wanted)
    id_numbers: dict[str, int] = {}
    for i, row in parsed:

        def fail(field: str | None, message: str, i: int = i, row: SyncRow = row) -> None:
            checked.errors.append(
                RowError(row=i, external_id=row.external_id, field=field, message=message)
            )

        if row.deleted:
            checked.rows.append(Row(i, row.external_id, {}, deleted=True))
            continue
        if row.name is None:
            fail("name", "必填项缺失")
            continue
        community = places.get(row.community_id) if row.community_id else None
        if row.community_id is None:
            fail("community_id", "请填写居住社区")
            continue
        if community is None or community.kind != OrgKind.community or community.status != "active":
            fail("community_id", "居住社区不存在或已撤销")
            continue
        if unit.district_id is not None and community.district_id != unit.district_id:
            fail("community_id", "居住社区不在本单位所在的区")
            continue
        values = row.model_dump(exclude_unset=True, exclude={"external_id", "deleted"})
        for key in _ENUMS:
            if values.get(key) is not None:
                values[key] = str(values[key])
        if values.get("categories") is not None:
            values["categories"] = [str(c) for c in values["categories"]]
        try:
            check_identity_and_dates(values)
        except AppError as exc:
            detail = exc.details[0] if exc.details else None
            fail(detail.field if detail else None, detail.message if detail else exc.message)
            continue
        if values.get("id_number"):
            first = id_numbers.setdefault(values["id_number"], i)
            if first != i:
                fail("id_number", f"与第 {first} 行的身份证号重复（一人一条记录）")
                continue
        values.update(
            community_id=community.id,
            district_id=community.district_id,
            home_organization_id=unit.id,
            branch_id=None,
        )
        checked.rows.append(Row(i, row.external_id, values))
    return checked


async def sync_unit(
    session: AsyncSession, unit_id: uuid.UUID, request: SyncRequest, ctx: WriteContext
) -> SyncReport:
    """Bring the unit's in-service members in line with its list (see ``plan_sync`` for
    the rules). A row error refuses the whole request unless ``partial``; ``dry_run``
    answers the same report and writes nothing."""
    write = not request.dry_run
    unit = await _unit(session, unit_id, lock=write)
    if request.mode == "full" and not request.members and not request.allow_empty:
        raise AppError(
            422,
            "empty_full_sync",
            "全量同步的名单为空，这会停用本单位全部在职党员；如确需如此，请设置 allow_empty=true",
        )
    checked = await check_rows(session, unit, request.members)
    linked = await bulk.linked_members(session, unit.id, lock=write)
    keys = {
        (r.values["district_id"], r.values["id_number"])
        for r in checked.rows
        if r.external_id not in linked and r.values.get("id_number")
    }
    by_id_number = await bulk.members_by_id_number(session, unit.id, keys, lock=write)
    at = await registry_bulk.now(session)
    keep_missing = request.mode == "full" and checked.unidentified > 0
    plan = plan_sync(
        unit_id=unit.id,
        mode=request.mode,
        rows=checked.rows,
        listed=set(checked.listed),
        linked=linked,
        by_id_number=by_id_number,
        now=at,
        keep_missing=keep_missing,
    )
    errors = sorted([*checked.errors, *plan.errors], key=lambda e: e.row)
    report = build_report(unit.id, request, plan, errors)
    await hide_out_of_sight(session, ctx, report, plan)
    if keep_missing:
        report.warnings.append(
            f"有 {checked.unidentified} 行缺少本单位编号，无法判断谁已不在名单中，本次不停用任何人"
        )
    if request.dry_run:
        return report
    if errors and not request.partial:
        # One shape for row errors, as the roster's: the report in ``data`` lists them all
        # (row, external id, field, message).
        message = (
            f"有 {len(errors)} 行有误，本次同步未写入任何内容；"
            "请修改后重试，或设置 partial=true 只写入无误的行"
        )
        raise AppError(422, "sync_rows_invalid", message, data=report.model_dump(mode="json"))
    failed = {e.external_id for e in errors}
    listed = [e for e in checked.listed if e not in failed]
    try:
        await bulk.apply(session, unit.id, plan, listed, at, ctx)
    except IntegrityError:  # someone registered one of these people since the check
        raise AppError(
            409,
            "sync_conflict",
            "同步期间有人登记了名单中的党员，本次同步未写入任何内容；请重新同步",
        ) from None
    report.applied = True
    log.info(
        "members.unit_synced", unit_id=str(unit.id), mode=request.mode, **report.counts.model_dump()
    )
    return report


# What the report says of a member the caller can't read, by the list it is in.
_ELSEWHERE = {
    "linked": "已关联到该记录（由该社区维护）",
    "updated": "已按名单更新该记录（由该社区维护）",
    "unlinked": "已解除本单位与该记录的关联",
}


async def hide_out_of_sight(
    session: AsyncSession, ctx: WriteContext, report: SyncReport, plan: Plan
) -> None:
    """Members linked by ID number whose organization relationship is elsewhere are out
    of the unit's sight (``registry.duplicates``): their items keep only the unit's own
    row and external id, and say which community keeps the record — no id, no name, no
    list of fields that differed from it."""
    communities = {c.after["id"]: c.after["community_id"] for c in plan.changes}
    communities |= {m["id"]: m["community_id"] for _, m in plan.unlinked}
    visible = await duplicates.in_sight(session, ctx.principal, communities.keys())
    hidden = {m: c for m, c in communities.items() if m not in visible}
    if not hidden:
        return
    names = await duplicates.community_names(session, set(hidden.values()))
    for kind, outcome in _ELSEWHERE.items():
        items: list[SyncItem] = getattr(report, kind)
        for i, item in enumerate(items):
            if item.member_id in hidden:
                note = duplicates.registered_elsewhere(names.get(hidden[item.member_id]), outcome)
                items[i] = SyncItem(row=item.row, external_id=item.external_id, note=note)


def _item(change: Change) -> SyncItem:
    return SyncItem(
        row=change.row,
        external_id=change.external_id,
        member_id=change.after["id"],
        name=change.after["name"],
        changed=change.changed,
        note=change.note,
    )


def build_report(
    unit_id: uuid.UUID, request: SyncRequest, plan: Plan, errors: list[RowError]
) -> SyncReport:
    def items(kind: str) -> list[SyncItem]:
        return [_item(c) for c in plan.of_kind(kind)]

    created = [
        SyncItem(
            row=row.index,
            external_id=row.external_id,
            member_id=None if request.dry_run else member["id"],
            name=member["name"],
        )
        for row, member in plan.created
    ]
    unlinked = [
        SyncItem(external_id=e, member_id=m["id"], name=m["name"]) for e, m in plan.unlinked
    ]
    report = SyncReport(
        unit_id=unit_id,
        mode=request.mode,
        dry_run=request.dry_run,
        applied=False,
        summary="",
        counts=SyncCounts(errors=len({e.row for e in errors}), unchanged=len(plan.unchanged)),
        created=created,
        linked=items("linked"),
        updated=items("updated"),
        deactivated=items("deactivated"),
        unlinked=unlinked,
        errors=errors,
    )
    c = report.counts
    c.created, c.linked, c.updated = len(created), len(report.linked), len(report.updated)
    c.deactivated, c.unlinked = len(report.deactivated), len(unlinked)
    report.summary = summary_line(c)
    return report
