from __future__ import annotations

import uuid

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

    async def get(self, member_id: uuid.UUID, *, for_update: bool = False) -> Member | None:
        return await self.session.get(Member, member_id, with_for_update=for_update)

    async def find_duplicate(
        self,
        *,
        district_id: uuid.UUID | None,
        id_number: str | None,
        name: str,
        mobile: str | None,
        exclude: uuid.UUID | None = None,
    ) -> tuple[Member, str] | None:
        """The existing record of the same person, and which rule matched."""
        live = Member.status != "merged"
        if exclude is not None:
            live = live & (Member.id != exclude)
        if id_number:
            query = select(Member).where(
                live, Member.id_number == id_number, Member.district_id == district_id
            )
            found = (await self.session.scalars(query.limit(1))).first()
            if found is not None:
                return found, "id_number"
        if mobile:
            query = select(Member).where(live, Member.name == name, Member.mobile == mobile)
            found = (await self.session.scalars(query.limit(1))).first()
            if found is not None:
                return found, "name_mobile"
        return None
