"""The diff between a unit's list and the registry, as pure functions (no I/O).

Members are plain dicts of the ``member`` table's columns here: they are loaded and
written set-based, and 10,000 ORM objects would cost more than the work itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from services.members.registry.bulk import MemberRow, new_row
from services.members.registry.service import check_identity_and_dates
from services.members.sync.schemas import RowError
from shared.contracts.vocabulary import LIVE_STATUSES
from shared.errors import AppError

# Fields that say where a member belongs: a unit's sync sets them only on members whose
# organization relationship is with that unit.
PLACEMENT = frozenset({"home_organization_id", "community_id", "district_id", "branch_id"})
# What a unit's list may change on a record whose organization relationship is elsewhere
# (a community's member linked by ID number): the job the unit knows about. Name,
# contacts, identity and address are the community's record; a unit that cannot read
# that record must not be able to overwrite it by knowing an ID number.
UNIT_FACTS = frozenset({"work_unit", "post"})
IN_SERVICE = "in_service"
# Why the sync deactivates a member who has left the unit's list: see ``plan_sync``.
LEFT_UNIT_STATUS = "transferred_out"


@dataclass(frozen=True)
class Row:
    """A row that passed its checks: the member columns it sets."""

    index: int
    external_id: str
    values: dict[str, Any]
    deleted: bool = False


@dataclass
class Change:
    kind: Literal["updated", "linked", "deactivated"]
    external_id: str
    before: MemberRow
    after: MemberRow
    changed: list[str]
    row: int | None = None
    note: str | None = None


@dataclass
class Plan:
    created: list[tuple[Row, MemberRow]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    new_links: list[tuple[str, uuid.UUID]] = field(default_factory=list)
    unlinked: list[tuple[str, MemberRow]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


def new_member(values: Mapping[str, Any], unit_id: uuid.UUID, now: datetime) -> MemberRow:
    categories = list(values.get("categories") or [])
    if IN_SERVICE not in categories:
        categories.append(IN_SERVICE)
    member = new_row(values, now)
    member.update(categories=categories, home_organization_id=unit_id, branch_id=None)
    return member


def changes_for(member: MemberRow, values: Mapping[str, Any], own: bool) -> dict[str, Any]:
    """What the row would change on ``member``; ``own``: its home organization is the unit."""
    changes = {
        k: v
        for k, v in values.items()
        if (k not in PLACEMENT if own else k in UNIT_FACTS) and member.get(k) != v
    }
    categories = list(values.get("categories", member["categories"]) or [])
    if IN_SERVICE not in categories:
        categories.append(IN_SERVICE)
    if categories != list(member["categories"] or []):
        changes["categories"] = categories
    else:
        changes.pop("categories", None)
    if changes:  # the registry's rule: the record as a whole must stay consistent
        merged = {**member, **changes}
        check_identity_and_dates(merged)
        for key in ("birth_date", "gender"):
            if merged.get(key) != member.get(key):
                changes[key] = merged[key]
    return changes


def _apply(member: MemberRow, changes: Mapping[str, Any], now: datetime) -> MemberRow:
    return {**member, **changes, "version": member["version"] + 1, "updated_at": now}


def _error(row: Row, message: str, field: str | None = None) -> RowError:
    return RowError(row=row.index, external_id=row.external_id, field=field, message=message)


def plan_sync(
    *,
    unit_id: uuid.UUID,
    mode: Literal["full", "delta"],
    rows: Iterable[Row],
    listed: set[str],
    linked: Mapping[str, MemberRow],
    by_id_number: Mapping[tuple[uuid.UUID | None, str], tuple[MemberRow, str | None]],
    now: datetime,
    keep_missing: bool = False,
) -> Plan:
    """Work out every change. ``listed`` holds every external id in the request, rows with
    errors included (a row with a typo is not a member who left); ``linked`` the unit's
    members by external id; ``by_id_number`` the district's members with the ID numbers of
    new rows, with the unit's external id if already linked.

    A member missing from a full list, or sent as deleted, is deactivated with status
    ``transferred_out`` (已转出) when their organization relationship is with the unit:
    the list says only that the person is no longer the unit's in-service member, which is
    what leaving the unit means (a new job, retirement with the relationship moved to the
    community). Death or leaving the Party are facts a sync cannot tell; they are recorded
    through the registry with a reason. The record and its history stay, and a later
    sync that lists the person again reactivates it. A member whose organization
    relationship is elsewhere (linked by ID number) is only unlinked from the unit."""
    plan = Plan()
    for row in rows:
        member = linked.get(row.external_id)
        if row.deleted:
            if member is not None and member["status"] in LIVE_STATUSES:
                _leave(plan, unit_id, row.external_id, member, now, row.index)
            else:
                plan.unchanged.append(row.external_id)
            continue
        try:
            if member is None:
                _new_row(plan, unit_id, row, by_id_number, now)
            else:
                _known_row(plan, unit_id, row, member, now)
        except AppError as exc:  # the merged record broke an identity or date rule
            detail = exc.details[0] if exc.details else None
            plan.errors.append(
                _error(
                    row, detail.message if detail else exc.message, detail.field if detail else None
                )
            )
    if mode == "full" and not keep_missing:
        for external_id, member in linked.items():
            if external_id not in listed and member["status"] in LIVE_STATUSES:
                _leave(plan, unit_id, external_id, member, now, None)
    return plan


def _new_row(
    plan: Plan,
    unit_id: uuid.UUID,
    row: Row,
    by_id_number: Mapping[tuple[uuid.UUID | None, str], tuple[MemberRow, str | None]],
    now: datetime,
) -> None:
    id_number = row.values.get("id_number")
    found = by_id_number.get((row.values["district_id"], id_number)) if id_number else None
    if found is None:
        plan.created.append((row, new_member(row.values, unit_id, now)))
        plan.new_links.append((row.external_id, plan.created[-1][1]["id"]))
        return
    existing, linked_as = found
    if linked_as is not None:
        message = f"该身份证号已对应本单位编号 {linked_as} 的党员，请勿重复报送"
        plan.errors.append(_error(row, message, "id_number"))
        return
    if existing["status"] not in (*LIVE_STATUSES, LEFT_UNIT_STATUS):
        plan.errors.append(_error(row, "该身份证号对应的党员记录已停用，请联系社区核实"))
        return
    own = existing["home_organization_id"] == unit_id
    changes = changes_for(existing, row.values, own)
    if existing["status"] == LEFT_UNIT_STATUS:
        changes["status"] = "active"
    note = None if own else "组织关系不在本单位：关联已有记录，所在社区与支部以原记录为准"
    after = _apply(existing, changes, now) if changes else existing
    plan.changes.append(
        Change("linked", row.external_id, existing, after, sorted(changes), row.index, note)
    )
    plan.new_links.append((row.external_id, existing["id"]))


def _known_row(plan: Plan, unit_id: uuid.UUID, row: Row, member: MemberRow, now: datetime) -> None:
    if member["status"] not in (*LIVE_STATUSES, LEFT_UNIT_STATUS):
        plan.errors.append(_error(row, "该党员记录已停用（已故、出党或已合并），不能通过同步恢复"))
        return
    changes = changes_for(member, row.values, member["home_organization_id"] == unit_id)
    if member["status"] == LEFT_UNIT_STATUS:
        changes["status"] = "active"  # listed again: back in service
    if not changes:
        plan.unchanged.append(row.external_id)
        return
    after = _apply(member, changes, now)
    plan.changes.append(
        Change("updated", row.external_id, member, after, sorted(changes), row.index)
    )


def _leave(
    plan: Plan,
    unit_id: uuid.UUID,
    external_id: str,
    member: MemberRow,
    now: datetime,
    index: int | None,
) -> None:
    if member["home_organization_id"] != unit_id:
        plan.unlinked.append((external_id, member))
        return
    after = _apply(member, {"status": LEFT_UNIT_STATUS}, now)
    plan.changes.append(Change("deactivated", external_id, member, after, ["status"], index))
