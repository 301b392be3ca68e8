"""``/members``: the member registry, scoped to the caller's grants.

Every query is limited to the members the caller may see; an id outside them answers
404. Mobile, ID number and address come back in full only to the member and to those who
may change the record; a full read through a district or street grant is audited
(``present``). A write's own answer records no read: its audit entry already names the
actor and the record as written."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import status as http_status
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import member_for, members_visible, organization_for
from services.members.audit.models import AuditEntry
from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.policy import Action
from services.members.registry import merge, present, service
from services.members.registry.schemas import (
    HistoryEntryOut,
    HistoryPage,
    MemberCreate,
    MemberDeactivate,
    MemberMerge,
    MemberOut,
    MemberPage,
    MemberUpdate,
)
from services.members.registry.search import (
    MemberQuery,
    SortKey,
    mobile_searchable,
    search_members,
)
from shared.audit import history
from shared.auth.deps import PrincipalDep, require
from shared.auth.principal import Principal
from shared.contracts.vocabulary import Category, MemberStatus, OrgKind
from shared.errors import NotFound
from shared.paging import CURSOR, LIMIT, decode_cursor, page_of
from shared.runtime import SessionDep
from shared.writes import WriteDep

# No prefix: ``/me/member`` lives here too; every other path starts with ``/members``.
router = APIRouter(tags=["党员信息库"])

ReaderDep = Annotated[Principal, Depends(require(Action.read))]
WriterDep = Annotated[Principal, Depends(require(Action.write))]
AuditorDep = Annotated[Principal, Depends(require(Action.audit))]

COMMUNITY_NOT_FOUND = "未找到该社区"


async def member_out(session: AsyncSession, principal: Principal, member: Member) -> MemberOut:
    """One record as the caller may see it, for the answer to their own write."""
    _, (out,) = await present.present(session, principal, [member])
    return out


async def _residential_community(
    session: SessionDep, principal: Principal, home: Organization, community_id: uuid.UUID
) -> None:
    """The community named must be in the caller's sight. A unit's in-service members
    live in communities a unit admin doesn't oversee: for a unit any community of its
    district will do (as in a unit's sync)."""
    try:
        await organization_for(
            session, principal, Action.read, community_id, message=COMMUNITY_NOT_FOUND
        )
    except NotFound:
        if home.kind != OrgKind.unit or home.district_id is None:
            raise
        community = await session.get(Organization, community_id)
        if community is None or community.district_id != home.district_id:
            raise
        # Kind and status are place()'s to check, with its own message.


@router.post(
    "/members",
    status_code=http_status.HTTP_201_CREATED,
    response_model=MemberOut,
    summary="登记党员",
)
async def register_member(
    body: MemberCreate,
    principal: WriterDep,
    session: SessionDep,
    ctx: WriteDep,
) -> MemberOut:
    home = await organization_for(session, principal, Action.write, body.home_organization_id)
    if body.community_id is not None:
        await _residential_community(session, principal, home, body.community_id)
    member = await service.register_member(session, body, ctx)
    return await member_out(session, principal, member)


@router.get(
    "/members",
    response_model=MemberPage,
    summary="查询党员（按组织、类别、状态、特长、姓名或手机号）",
)
async def list_members(
    principal: ReaderDep,
    session: SessionDep,
    ctx: WriteDep,
    organization_id: uuid.UUID | None = Query(None, description="组织（含全部下级）"),
    category: Category | None = Query(None, description="党员类别"),
    status: MemberStatus | None = Query(None, description="状态；不填则不含已合并记录"),
    specialty: str | None = Query(None, max_length=30, description="专业特长"),
    q: str | None = Query(
        None,
        max_length=50,
        description="姓名（部分）或手机号（开头；只匹配本人可查看完整手机号的党员）",
    ),
    sort: SortKey = Query(SortKey.created_at, description="排序字段"),
    descending: bool = Query(False, description="是否倒序"),
    cursor: str | None = Query(None, max_length=500, description="上一页返回的 next_cursor"),
    limit: int = Query(50, ge=1, le=200),
) -> MemberPage:
    if organization_id is not None:
        await organization_for(session, principal, Action.read, organization_id)
    query = MemberQuery(
        organization_id=organization_id,
        category=category,
        status=status,
        specialty=specialty,
        q=q,
        sort=sort,
        descending=descending,
        cursor=cursor,
        limit=limit,
    )
    members, next_cursor = await search_members(
        session,
        query,
        scope=members_visible(principal, Action.read),
        mobile_scope=mobile_searchable(principal),
    )
    seen, items = await present.present(session, principal, members)
    await present.record_reads(session, seen, [m.id for m in members], read="members", ctx=ctx)
    return MemberPage(items=items, next_cursor=next_cursor)


@router.get("/me/member", response_model=MemberOut, summary="本人的党员信息")
async def my_member(principal: PrincipalDep, session: SessionDep) -> MemberOut:
    if principal.member_id is None:
        raise NotFound("当前账号没有关联党员记录")
    member = await session.get(Member, principal.member_id)
    if member is None:
        raise NotFound("当前账号没有关联党员记录")
    return await member_out(session, principal, member)


@router.get("/members/{member_id}", response_model=MemberOut, summary="查看党员")
async def get_member(
    member_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    ctx: WriteDep,
) -> MemberOut:
    member = await member_for(session, principal, Action.read, member_id)
    seen, (out,) = await present.present(session, principal, [member])
    await present.record_reads(session, seen, [member.id], read="member", ctx=ctx)
    return out


@router.patch("/members/{member_id}", response_model=MemberOut, summary="修改党员信息")
async def update_member(
    member_id: uuid.UUID,
    body: MemberUpdate,
    principal: WriterDep,
    session: SessionDep,
    ctx: WriteDep,
) -> MemberOut:
    member = await member_for(session, principal, Action.write, member_id, for_update=True)
    if (
        body.home_organization_id is not None
        and body.home_organization_id != member.home_organization_id
    ):
        # A move within the community: the new home must be the caller's to write too.
        await organization_for(session, principal, Action.write, body.home_organization_id)
    member = await service.update_member(session, member_id, body, ctx)
    return await member_out(session, principal, member)


@router.post(
    "/members/{member_id}/deactivate",
    response_model=MemberOut,
    summary="停用党员记录（转出、已故等）",
)
async def deactivate_member(
    member_id: uuid.UUID,
    body: MemberDeactivate,
    principal: WriterDep,
    session: SessionDep,
    ctx: WriteDep,
) -> MemberOut:
    await member_for(session, principal, Action.write, member_id, for_update=True)
    member = await service.deactivate_member(session, member_id, body, ctx)
    return await member_out(session, principal, member)


@router.post(
    "/members/{member_id}/merge",
    response_model=MemberOut,
    summary="合并重复记录（重复记录并入本记录，保留变更记录）",
)
async def merge_members(
    member_id: uuid.UUID,
    body: MemberMerge,
    principal: WriterDep,
    session: SessionDep,
    ctx: WriteDep,
) -> MemberOut:
    # Both records must be the caller's to change. Not locked here: the merge locks the
    # pair in id order, so two merges of one pair can't deadlock.
    await member_for(session, principal, Action.write, member_id)
    try:
        await member_for(session, principal, Action.write, body.duplicate_id)
    except NotFound:
        raise NotFound("未找到要合并的重复记录") from None
    member = await merge.merge_members(session, member_id, body, ctx)
    return await member_out(session, principal, member)


@router.get(
    "/members/{member_id}/history",
    response_model=HistoryPage,
    summary="党员信息变更记录（从早到晚）",
)
async def member_history(
    member_id: uuid.UUID,
    principal: AuditorDep,
    session: SessionDep,
    ctx: WriteDep,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> HistoryPage:
    (last,) = decode_cursor(cursor, int) if cursor else (None,)
    member = await member_for(session, principal, Action.audit, member_id)
    found = await history(session, AuditEntry, "member", member_id, limit=limit + 1, after=last)
    entries, next_cursor = page_of(found, limit, lambda e: (e.id,))
    seen = await present.viewer(session, principal, [present.placed(member)])
    items = []
    for entry in entries:
        item = HistoryEntryOut.model_validate(entry)
        before, after = seen.masked(member.id, item.before), seen.masked(member.id, item.after)
        items.append(item.model_copy(update={"before": before, "after": after}))
    await present.record_reads(session, seen, [member.id], read="history", ctx=ctx)
    return HistoryPage(items=items, next_cursor=next_cursor)
