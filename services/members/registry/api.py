from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from services.members.audit import service as audit
from services.members.registry import service
from services.members.registry.schemas import (
    HistoryEntryOut,
    MemberCreate,
    MemberDeactivate,
    MemberOut,
    MemberUpdate,
)
from shared.runtime import RuntimeDep, SessionDep
from shared.web import CorrelationIdDep

router = APIRouter(prefix="/members", tags=["党员信息库"])


def context(runtime: RuntimeDep, correlation_id: str | None) -> service.Context:
    return service.Context(topic=runtime.own_topic, correlation_id=correlation_id)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MemberOut, summary="登记党员")
async def register_member(
    body: MemberCreate, session: SessionDep, runtime: RuntimeDep, correlation_id: CorrelationIdDep
) -> MemberOut:
    member = await service.register_member(session, body, context(runtime, correlation_id))
    return MemberOut.model_validate(member)


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


@router.get(
    "/{member_id}/history", response_model=list[HistoryEntryOut], summary="党员信息变更记录"
)
async def member_history(member_id: uuid.UUID, session: SessionDep) -> list[HistoryEntryOut]:
    await service.get_member(session, member_id)
    entries = await audit.history(session, "member", member_id)
    return [HistoryEntryOut.model_validate(e) for e in entries]
