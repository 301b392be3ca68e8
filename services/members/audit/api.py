"""``/audit``: the audit log, read by admins within their reach (``search``).

Entries about a member show mobile, ID number and address as the member's own record
does for the caller (``registry.present``): in full only to those who may change it
now, and a full read through a district or street grant is audited. Other entries are
masked for everyone: no member context to grant them. Credentials never appear
(``service.without_secrets``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import organization_for
from services.members.audit.models import AuditEntry
from services.members.audit.schemas import AuditEntryOut, AuditPage, EntityType, Term
from services.members.audit.search import AuditQuery, audit_visible, moment, search_entries
from services.members.models import Member
from services.members.policy import Action
from services.members.registry import present
from shared.audit import changed_fields, without_secrets
from shared.auth.deps import require
from shared.auth.principal import Principal
from shared.errors import invalid
from shared.runtime import SessionDep
from shared.writes import WriteDep

router = APIRouter(tags=["审计日志"])

AuditorDep = Annotated[Principal, Depends(require(Action.audit))]
MOMENT = "日期（YYYY-MM-DD，按北京时间整天计）或时间（ISO 8601，不带时区按北京时间）"


async def _viewer(
    session: AsyncSession, principal: Principal, entries: list[AuditEntry]
) -> present.Viewer:
    """The caller's view of the members the entries are about, where they are now."""
    ids = {e.entity_id for e in entries if e.entity_type == EntityType.member}
    query = select(Member.id, Member.home_organization_id, Member.community_id)
    rows = (await session.execute(query.where(Member.id.in_(ids)))).all() if ids else []
    return await present.viewer(session, principal, [(m, h, c) for m, h, c in rows])


def _out(entry: AuditEntry, seen: present.Viewer) -> AuditEntryOut:
    before, after = without_secrets(entry.before), without_secrets(entry.after)
    # Changed fields from the values as written: a masked change may look like none.
    changed = changed_fields(before, after)
    if entry.entity_type == EntityType.member:
        before = seen.masked(entry.entity_id, before)
        after = seen.masked(entry.entity_id, after)
    else:
        before = present.mask_fields(before) if before is not None else None
        after = present.mask_fields(after) if after is not None else None
    return AuditEntryOut(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        changed=changed,
        before=before,
        after=after,
        correlation_id=entry.correlation_id,
    )


@router.get("/audit", response_model=AuditPage, summary="审计日志（本账号管辖范围内的变更记录）")
async def list_audit_entries(
    principal: AuditorDep,
    session: SessionDep,
    ctx: WriteDep,
    organization_id: uuid.UUID | None = Query(None, description="组织（含全部下级）"),
    entity_type: EntityType | None = Query(None, description="对象类型"),
    entity_id: uuid.UUID | None = Query(None, description="对象编号"),
    actor: Term | None = Query(None, description="操作人，如 account:<账号编号>"),
    action: Term | None = Query(None, description="操作，如 updated"),
    since: str | None = Query(None, max_length=40, description=f"起始{MOMENT}"),
    until: str | None = Query(None, max_length=40, description=f"截止{MOMENT}，含当天/当时"),
    cursor: str | None = Query(None, max_length=500, description="上一页返回的 next_cursor"),
    limit: int = Query(50, ge=1, le=200),
) -> AuditPage:
    start, end = moment(since, "since"), moment(until, "until", end=True)
    if start is not None and end is not None and end <= start:
        raise invalid("until", "截止时间不能早于起始时间")
    if organization_id is not None:
        await organization_for(session, principal, Action.audit, organization_id)
    query = AuditQuery(
        organization_id=organization_id,
        entity_type=entity_type,
        entity_id=entity_id,
        actor=actor,
        action=action,
        since=start,
        before=end,
        cursor=cursor,
        limit=limit,
    )
    entries, next_cursor = await search_entries(session, query, audit_visible(principal))
    seen = await _viewer(session, principal, entries)
    items = [_out(e, seen) for e in entries]
    members = [e.entity_id for e in entries if e.entity_type == EntityType.member]
    await present.record_reads(session, seen, members, read="audit_log", ctx=ctx)
    return AuditPage(items=items, next_cursor=next_cursor)
