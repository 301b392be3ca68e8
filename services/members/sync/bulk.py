"""The sync's SQL: whole sets in a few statements (executemany, ``= ANY(array)``), never a
statement or an ORM flush per member (new members go through ``registry.bulk``). Flushes
nothing; the caller's transaction commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Select,
    Table,
    Text,
    Uuid,
    any_,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.organizations.models import Organization
from services.members.registry.bulk import (
    MEMBER,
    MEMBER_COLUMNS,
    MemberRow,
    audit_row,
    insert_audit,
    member_event,
    register_all,
    snapshot,
)
from services.members.sync.models import UnitMemberLink
from services.members.sync.plan import Plan
from shared.contracts.members import MEMBER_DEACTIVATED, MEMBER_UPDATED
from shared.envelope import EventEnvelope
from shared.writes import WriteContext

LINK = cast(Table, UnitMemberLink.__table__)
_COLUMNS = [MEMBER.c[name] for name in MEMBER_COLUMNS]
_WRITTEN = [c for c in MEMBER_COLUMNS if c not in ("id", "created_at")]
# One UPDATE for every changed member, executed once with the list of new states.
_UPDATE = (
    update(MEMBER)
    .where(MEMBER.c.id == bindparam("p_id"))
    .values({name: bindparam(f"p_{name}") for name in _WRITTEN})
)


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


async def apply(
    session: AsyncSession,
    unit_id: uuid.UUID,
    plan: Plan,
    listed: Sequence[str],
    at: datetime,
    ctx: WriteContext,
) -> None:
    """Write the plan: members, links, audit rows and outbox events."""
    source = {"source": "unit_sync", "unit_id": str(unit_id)}
    audit: list[dict[str, Any]] = []
    events: list[EventEnvelope] = []
    await register_all(
        session,
        [m for _, m in plan.created],
        ctx,
        [source | {"external_id": row.external_id} for row, _ in plan.created],
    )
    rewritten = [c for c in plan.changes if c.changed]
    if rewritten:
        params = [
            {"p_id": c.after["id"], **{f"p_{k}": c.after[k] for k in _WRITTEN}} for c in rewritten
        ]
        await session.execute(_UPDATE, params)
    for change in plan.changes:
        before, after = snapshot(change.before), snapshot(change.after)
        note = source | {"external_id": change.external_id}
        audit.append(audit_row(change.after, change.kind, before, after | note, ctx))
        if change.changed:
            contract = MEMBER_DEACTIVATED if change.kind == "deactivated" else MEMBER_UPDATED
            events.append(member_event(contract, change.after, change.changed, ctx))
    for external_id, member in plan.unlinked:
        link = {"unit_id": str(unit_id), "external_id": external_id}
        audit.append(audit_row(member, "unit_unlinked", link, source, ctx))
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
    await insert_audit(session, audit)
    await ctx.publish_all(session, events)
