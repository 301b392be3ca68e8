from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.registry.search import in_subtree
from services.members.reportin.queries import unit_rates
from shared.contracts.vocabulary import LIVE_STATUSES
from shared.errors import NotFound


class UnitFigure(BaseModel):
    unit_id: uuid.UUID
    name: str
    members: int = Field(description="组织关系在该单位、居住在本组织范围内的党员")
    # The unit's own report-in rate (as GET /units/{id}/report-in-rate), not limited to
    # this organization's area: the rate feeds the unit's assessment.
    in_service_members: int = Field(
        0, description="组织关系在该单位（含下级）、状态正常或流动的党员总数"
    )
    reported_in: int = Field(0, description="其中已到社区报到（报到中）的人数")
    rate: float = Field(0.0, description="该单位的报到率（0–1）")


class Figures(BaseModel):
    organization_id: uuid.UUID
    as_of: date
    total: int
    by_age: dict[str, int] = Field(description="under_50 / 50_59 / 60_plus / unknown")
    by_category: dict[str, int]
    by_education: dict[str, int]
    by_gender: dict[str, int]
    by_residence: dict[str, int] = Field(description="inside / outside 辖区")
    units: list[UnitFigure]


def _age_band(as_of: date) -> Any:
    age = func.date_part("year", func.age(literal(as_of), Member.birth_date))
    return case(
        (Member.birth_date.is_(None), "unknown"),
        (age < 50, "under_50"),
        (age < 60, "50_59"),
        else_="60_plus",
    )


async def _grouped(session: AsyncSession, root: uuid.UUID, key: Any) -> dict[str, int]:
    rows = await session.execute(
        select(key, func.count())
        .where(in_subtree(root), Member.status.in_(LIVE_STATUSES))
        .group_by(key)
    )
    return {str(k if k is not None else "unknown"): int(n) for k, n in rows.all()}


async def structure_figures(
    session: AsyncSession, organization_id: uuid.UUID, as_of: date | None = None
) -> Figures:
    if await session.get(Organization, organization_id) is None:
        raise NotFound("未找到该组织")
    as_of = as_of or date.today()
    live = (in_subtree(organization_id), Member.status.in_(LIVE_STATUSES))
    total = await session.scalar(select(func.count()).select_from(Member).where(*live)) or 0
    category = func.unnest(Member.categories).label("category")
    by_category_rows = await session.execute(
        select(category, func.count()).where(*live).group_by(category)
    )
    residence = case((Member.lives_in_area, "inside"), else_="outside")
    units = await session.execute(
        select(Organization.id, Organization.name, func.count(Member.id))
        .join(Member, Member.home_organization_id == Organization.id)
        .where(Organization.kind == "unit", *live)
        .group_by(Organization.id, Organization.name)
        .order_by(Organization.name)
    )
    unit_rows = units.all()
    rates = await unit_rates(session, [i for i, _, _ in unit_rows])
    return Figures(
        organization_id=organization_id,
        as_of=as_of,
        total=total,
        by_age=await _grouped(session, organization_id, _age_band(as_of)),
        by_category={str(k): int(n) for k, n in by_category_rows.all()},
        by_education=await _grouped(session, organization_id, Member.education),
        by_gender=await _grouped(session, organization_id, Member.gender),
        by_residence=await _grouped(session, organization_id, residence),
        units=[
            UnitFigure(
                unit_id=i,
                name=n,
                members=c,
                in_service_members=rates[i].in_service_members,
                reported_in=rates[i].reported_in,
                rate=rates[i].rate,
            )
            for i, n, c in unit_rows
        ],
    )
