"""The sync's SQL: whole sets in a few statements (executemany, ``= ANY(array)``), never a
statement or an ORM flush per member. Flushes nothing; the caller's transaction commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import (
    ARRAY,
    Select,
    Table,
    Text,
    Uuid,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.audit.models import AuditEntry
from services.members.models import Member, messaging
from services.members.organizations.models import Organization
from services.members.registry.schemas import MemberOut
from services.members.registry.service import Context
from services.members.sync.models import UnitMemberLink
from services.members.sync.plan import MEMBER_COLUMNS, MemberRow, Plan
from shared.contracts import Contract
from shared.contracts.members import (
    MEMBER_DEACTIVATED,
    MEMBER_REGISTERED,
    MEMBER_UPDATED,
    MemberChanged,
    MemberRegistered,
    MemberState,
)
from shared.envelope import EventEnvelope, Tenant
from shared.outbox import add_events

MEMBER = cast(Table, Member.__table__)
LINK = cast(Table, UnitMemberLink.__table__)
AUDIT = cast(Table, AuditEntry.__table__)
_COLUMNS = [MEMBER.c[name] for name in MEMBER_COLUMNS]
_WRITTEN = [c for c in MEMBER_COLUMNS if c not in ("id", "created_at")]
# Audit snapshots travel as JSON text made by orjson (SQLAlchemy's JSONB binding would run
# json.dumps on each, a good share of a 10,000-row sync).
_AUDIT_INSERT = insert(AUDIT).values(
    before=sql_cast(bindparam("before", type_=Text()), JSONB),
    after=sql_cast(bindparam("after", type_=Text()), JSONB),
)
_STATE_KEYS = [k for k in MemberState.model_fields if k != "member_id"]
# One UPDATE for every changed member, executed once with the list of new states.
_UPDATE = (
    update(MEMBER)
    .where(MEMBER.c.id == bindparam("p_id"))
    .values({name: bindparam(f"p_{name}") for name in _WRITTEN})
)


async def now(session: AsyncSession) -> datetime:
    """The transaction's timestamp, as the registry's ``now()`` defaults would write it."""
    value: datetime = (await session.execute(select(func.now()))).scalar_one()
    return value


async def communities(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Organization]:
    if not ids:
        return {}
    query = select(Organization).where(Organization.id.in_(ids))
    return {org.id: org for org in (await session.scalars(query)).all()}


def _locked(query: Select[Any], lock: bool) -> Select[Any]:
    # Rows the sync will rewrite are locked against a concurrent edit through the registry.
    return query.with_for_update(of=MEMBER) if lock else query


async def linked_members(
    session: AsyncSession, unit_id: uuid.UUID, *, lock: bool
) -> dict[str, MemberRow]:
    """The unit's members by external id, in one query."""
    query = (
        select(LINK.c.external_id, *_COLUMNS)
        .join(MEMBER, MEMBER.c.id == LINK.c.member_id)
        .where(LINK.c.unit_id == unit_id)
    )
    rows = (await session.execute(_locked(query, lock))).mappings().all()
    return {row["external_id"]: {c: row[c] for c in MEMBER_COLUMNS} for row in rows}


async def members_by_id_number(
    session: AsyncSession,
    unit_id: uuid.UUID,
    keys: Collection[tuple[uuid.UUID | None, str]],
    *,
    lock: bool,
) -> dict[tuple[uuid.UUID | None, str], tuple[MemberRow, str | None]]:
    """The district's live records with these (district, ID number) pairs, and the unit's
    external id for each if it is already linked."""
    if not keys:
        return {}
    linked_as = (
        select(LINK.c.external_id)
        .where(LINK.c.unit_id == unit_id, LINK.c.member_id == MEMBER.c.id)
        .scalar_subquery()
    )
    # Arrays, not IN lists: one parameter each however many rows; the pairs are matched
    # exactly below (there is almost always a single district).
    query = select(linked_as.label("linked_as"), *_COLUMNS).where(
        MEMBER.c.district_id == any_(_array({d for d, _ in keys}, Uuid())),
        MEMBER.c.id_number == any_(_array({i for _, i in keys}, Text())),
        MEMBER.c.status != "merged",
    )
    rows = (await session.execute(_locked(query, lock))).mappings().all()
    found = {
        (row["district_id"], row["id_number"]): (
            {c: row[c] for c in MEMBER_COLUMNS},
            row["linked_as"],
        )
        for row in rows
    }
    return {key: value for key, value in found.items() if key in keys}


def _array(values: Collection[Any], item: Any) -> Any:
    return bindparam(None, list(values), type_=ARRAY(item))


def snapshot(member: Mapping[str, Any]) -> dict[str, Any]:
    return MemberOut.model_validate(member).model_dump(mode="json")


def _event(
    contract: Contract, member: MemberRow, changed: list[str] | None, ctx: Context
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
    return EventEnvelope(
        type=contract.event_type,
        version=contract.version,
        producer="members",
        tenant=Tenant(district_id=member["district_id"], community_id=member["community_id"]),
        key=str(member["id"]),
        correlation_id=ctx.correlation_id,
        actor=ctx.actor,
        payload=payload.model_dump(mode="json"),
    )


def _audit(
    member: Mapping[str, Any],
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    ctx: Context,
) -> dict[str, Any]:
    return {
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


async def apply(
    session: AsyncSession,
    unit_id: uuid.UUID,
    plan: Plan,
    listed: Sequence[str],
    at: datetime,
    ctx: Context,
) -> None:
    """Write the plan: members, links, audit rows and outbox events."""
    source = {"source": "unit_sync", "unit_id": str(unit_id)}
    audit: list[dict[str, Any]] = []
    events: list[EventEnvelope] = []
    if plan.created:
        await session.execute(insert(MEMBER), [m for _, m in plan.created])
    for row, member in plan.created:
        after = snapshot(member) | source | {"external_id": row.external_id}
        audit.append(_audit(member, "registered", None, after, ctx))
        events.append(_event(MEMBER_REGISTERED, member, None, ctx))
    rewritten = [c for c in plan.changes if c.changed]
    if rewritten:
        params = [
            {"p_id": c.after["id"], **{f"p_{k}": c.after[k] for k in _WRITTEN}} for c in rewritten
        ]
        await session.execute(_UPDATE, params)
    for change in plan.changes:
        before, after = snapshot(change.before), snapshot(change.after)
        note = source | {"external_id": change.external_id}
        audit.append(_audit(change.after, change.kind, before, after | note, ctx))
        if change.changed:
            contract = MEMBER_DEACTIVATED if change.kind == "deactivated" else MEMBER_UPDATED
            events.append(_event(contract, change.after, change.changed, ctx))
    for external_id, member in plan.unlinked:
        link = {"unit_id": str(unit_id), "external_id": external_id}
        audit.append(_audit(member, "unit_unlinked", link, source, ctx))
    if plan.new_links:
        links = [
            {"unit_id": unit_id, "external_id": e, "member_id": m, "created_at": at}
            | {"last_synced_at": at}
            for e, m in plan.new_links
        ]
        await session.execute(insert(LINK), links)
    if plan.unlinked:
        gone = [e for e, _ in plan.unlinked]
        await session.execute(
            delete(LINK).where(
                LINK.c.unit_id == unit_id, LINK.c.external_id == any_(_array(gone, Text()))
            )
        )
    if listed:
        await session.execute(
            update(LINK)
            .where(LINK.c.unit_id == unit_id, LINK.c.external_id == any_(_array(listed, Text())))
            .values(last_synced_at=at)
        )
    if audit:
        await session.execute(_AUDIT_INSERT, audit)
    await add_events(session, messaging.outbox, ctx.topic, events)
