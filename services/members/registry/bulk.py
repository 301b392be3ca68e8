"""Member records written as sets: many members, their audit rows and their events in a
few statements (executemany), never an ORM flush per member. The unit sync and the
roster import use it; checks happen before, and nothing here commits.

Members are plain dicts of the ``member`` table's columns: 10,000 ORM objects would cost
more than the work itself."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.audit.models import AuditEntry
from services.members.models import Member
from services.members.registry.schemas import MemberOut
from shared.audit import anchors
from shared.contracts import Contract
from shared.contracts.members import (
    MEMBER_REGISTERED,
    MemberChanged,
    MemberRegistered,
    MemberState,
)
from shared.db import copy_rows
from shared.envelope import EventEnvelope
from shared.writes import WriteContext

MemberRow = dict[str, Any]

MEMBER_COLUMNS = [
    *("id", "name", "gender", "birth_date", "id_number", "mobile", "address", "work_unit"),
    *("post", "education", "specialties", "interests", "joined_at", "full_member_at"),
    *("categories", "home_organization_id", "district_id", "community_id", "branch_id"),
    *("lives_in_area", "status", "merged_into_id", "version", "created_at", "updated_at"),
]
MEMBER = cast(Table, Member.__table__)
AUDIT = cast(Table, AuditEntry.__table__)
_AUDIT_COLUMNS = [
    *("entity_type", "entity_id", "action", "actor", "before", "after", "district_id"),
    *("community_id", "correlation_id", "organization_ids"),
]
_STATE_KEYS = [k for k in MemberState.model_fields if k != "member_id"]


async def now(session: AsyncSession) -> datetime:
    """The transaction's timestamp, as the registry's ``now()`` defaults would write it."""
    value: datetime = (await session.execute(select(func.now()))).scalar_one()
    return value


def new_row(values: Mapping[str, Any], now: datetime) -> MemberRow:
    """A new active member with the model's defaults under ``values``."""
    member: MemberRow = dict.fromkeys(MEMBER_COLUMNS)
    member.update(specialties=[], interests=[], categories=[], lives_in_area=True)
    member.update({k: v for k, v in values.items() if v is not None})
    member.update(id=uuid.uuid4(), status="active", version=1, created_at=now, updated_at=now)
    return member


def snapshot(member: Mapping[str, Any]) -> dict[str, Any]:
    return MemberOut.model_validate(member).model_dump(mode="json")


def member_event(
    contract: Contract, member: MemberRow, changed: list[str] | None, ctx: WriteContext
) -> EventEnvelope:
    # Built without validation here: ``add_events`` checks every payload against its contract.
    state = MemberState.model_construct(
        member_id=member["id"], **{k: member[k] for k in _STATE_KEYS}
    )
    payload = (
        MemberRegistered.model_construct(member=state)
        if changed is None
        else MemberChanged.model_construct(member=state, changed=changed)
    )
    return ctx.envelope(
        contract,
        payload,
        key=member["id"],
        district_id=member["district_id"],
        community_id=member["community_id"],
    )


def audit_row(
    member: Mapping[str, Any],
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    ctx: WriteContext,
) -> dict[str, Any]:
    """One row for :func:`insert_audit`: the entry ``audit.record`` would add. Snapshots
    are JSON text made by orjson (SQLAlchemy's JSONB binding would run json.dumps on
    each, a good share of a 10,000-row sync)."""
    earlier = before or {}
    # As ``registry.service.member_anchors``, plus the unit a sync entry came from (its
    # note), which may not be the member's home organization.
    organization_ids = anchors(
        member["home_organization_id"],
        member["community_id"],
        earlier.get("home_organization_id"),
        earlier.get("community_id"),
        after.get("unit_id"),
    )
    return {
        "organization_ids": organization_ids,
        "entity_type": "member",
        "entity_id": member["id"],
        "action": action,
        "actor": ctx.actor,
        "before": None if before is None else orjson.dumps(before).decode(),
        "after": orjson.dumps(after).decode(),
        "district_id": member["district_id"],
        "community_id": member["community_id"],
        "correlation_id": ctx.correlation_id,
    }


def _values(member: MemberRow) -> tuple[Any, ...]:
    return tuple(member[c] for c in MEMBER_COLUMNS)


async def insert_audit(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append :func:`audit_row` entries (COPY: a sync writes one per member it touches)."""
    if rows:
        records = (tuple(row[c] for c in _AUDIT_COLUMNS) for row in rows)
        await copy_rows(session, AUDIT.name, _AUDIT_COLUMNS, records)


async def register_all(
    session: AsyncSession,
    members: Sequence[MemberRow],
    ctx: WriteContext,
    notes: Sequence[Mapping[str, Any]],
) -> None:
    """Insert checked new members with their "registered" audit entries (snapshot plus
    the note of where the row came from) and ``member.registered`` events."""
    if not members:
        return
    await copy_rows(session, MEMBER.name, MEMBER_COLUMNS, [_values(m) for m in members])
    audit = [
        audit_row(m, "registered", None, snapshot(m) | dict(note), ctx)
        for m, note in zip(members, notes, strict=True)
    ]
    await insert_audit(session, audit)
    events = [member_event(MEMBER_REGISTERED, m, None, ctx) for m in members]
    await ctx.publish_all(session, events)
