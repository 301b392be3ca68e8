from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status

from services.members.registry import service
from services.members.registry.repository import MemberRepository
from services.members.registry.schemas import MemberCreate, MemberOut
from shared.runtime import RuntimeDep, SessionDep
from shared.web import CorrelationIdDep

router = APIRouter(prefix="/members", tags=["党员信息库"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MemberOut, summary="登记党员")
async def register_member(
    body: MemberCreate, session: SessionDep, runtime: RuntimeDep, correlation_id: CorrelationIdDep
) -> MemberOut:
    member = await service.register_member(
        session, body, topic=runtime.own_topic, correlation_id=correlation_id
    )
    return MemberOut.model_validate(member)


@router.get("/{member_id}", response_model=MemberOut, summary="查看党员")
async def get_member(member_id: uuid.UUID, session: SessionDep) -> MemberOut:
    return MemberOut.model_validate(await service.get_member(session, member_id))


@router.get("", response_model=list[MemberOut], summary="按社区列出党员")
async def list_members(
    session: SessionDep,
    community_id: uuid.UUID = Query(description="社区"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[MemberOut]:
    members = await MemberRepository(session).list_by_community(community_id, limit)
    return [MemberOut.model_validate(m) for m in members]
