from __future__ import annotations

import uuid

from fastapi import APIRouter, Query
from fastapi import status as http_status

from services.members.audit import service as audit
from services.members.registry import merge, service
from services.members.registry.schemas import (
    Category,
    HistoryEntryOut,
    MemberCreate,
    MemberDeactivate,
    MemberMerge,
    MemberOut,
    MemberPage,
    MemberStatus,
    MemberUpdate,
)
from services.members.registry.search import MemberQuery, SortKey, search_members
from shared.runtime import RuntimeDep, SessionDep
from shared.web import CorrelationIdDep

router = APIRouter(prefix="/members", tags=["党员信息库"])


def context(runtime: RuntimeDep, correlation_id: str | None) -> service.Context:
    return service.Context(topic=runtime.own_topic, correlation_id=correlation_id)


@router.post(
    "", status_code=http_status.HTTP_201_CREATED, response_model=MemberOut, summary="登记党员"
)
async def register_member(
    body: MemberCreate, session: SessionDep, runtime: RuntimeDep, correlation_id: CorrelationIdDep
) -> MemberOut:
    member = await service.register_member(session, body, context(runtime, correlation_id))
    return MemberOut.model_validate(member)


@router.get(
    "", response_model=MemberPage, summary="查询党员（按组织、类别、状态、特长、姓名或手机号）"
)
async def list_members(
    session: SessionDep,
    organization_id: uuid.UUID | None = Query(None, description="组织（含全部下级）"),
    category: Category | None = Query(None, description="党员类别"),
    status: MemberStatus | None = Query(None, description="状态；不填则不含已合并记录"),
    specialty: str | None = Query(None, max_length=30, description="专业特长"),
    q: str | None = Query(None, max_length=50, description="姓名（部分）或手机号（开头）"),
    sort: SortKey = Query(SortKey.created_at, description="排序字段"),
    descending: bool = Query(False, description="是否倒序"),
    cursor: str | None = Query(None, max_length=500, description="上一页返回的 next_cursor"),
    limit: int = Query(50, ge=1, le=200),
) -> MemberPage:
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
    members, next_cursor = await search_members(session, query)
    return MemberPage(items=[MemberOut.model_validate(m) for m in members], next_cursor=next_cursor)


@router.get("/{member_id}", response_model=MemberOut, summary="查看党员")
async def get_member(member_id: uuid.UUID, session: SessionDep) -> MemberOut:
    return MemberOut.model_validate(await service.get_member(session, member_id))


@router.patch("/{member_id}", response_model=MemberOut, summary="修改党员信息")
async def update_member(
    member_id: uuid.UUID,
    body: MemberUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationIdDep,
) -> MemberOut:
    member = await service.update_member(session, member_id, body, context(runtime, correlation_id))
    return MemberOut.model_validate(member)


@router.post(
    "/{member_id}/deactivate", response_model=MemberOut, summary="停用党员记录（转出、已故等）"
)
async def deactivate_member(
    member_id: uuid.UUID,
    body: MemberDeactivate,
    session: SessionDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationIdDep,
) -> MemberOut:
    member = await service.deactivate_member(
        session, member_id, body, context(runtime, correlation_id)
    )
    return MemberOut.model_validate(member)


@router.post(
    "/{member_id}/merge",
    response_model=MemberOut,
    summary="合并重复记录（重复记录并入本记录，保留变更记录）",
)
async def merge_members(
    member_id: uuid.UUID,
    body: MemberMerge,
    session: SessionDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationIdDep,
) -> MemberOut:
    member = await merge.merge_members(session, member_id, body, context(runtime, correlation_id))
    return MemberOut.model_validate(member)


@router.get(
    "/{member_id}/history", response_model=list[HistoryEntryOut], summary="党员信息变更记录"
)
async def member_history(member_id: uuid.UUID, session: SessionDep) -> list[HistoryEntryOut]:
    await service.get_member(session, member_id)
    entries = await audit.history(session, "member", member_id)
    return [HistoryEntryOut.model_validate(e) for e in entries]
