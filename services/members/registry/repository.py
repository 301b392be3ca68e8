from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member


class MemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, member: Member) -> Member:
        self.session.add(member)
        await self.session.flush()
        await self.session.refresh(member)
        return member

    async def get(self, member_id: uuid.UUID) -> Member | None:
        return await self.session.get(Member, member_id)

    async def list_by_community(self, community_id: uuid.UUID, limit: int) -> Sequence[Member]:
        query = (
            select(Member)
            .where(Member.community_id == community_id)
            .order_by(Member.created_at, Member.id)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()
