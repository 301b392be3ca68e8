"""The projections' set-based upsert with list columns (a member's categories and
specialties, an organization's ancestors): values with quotes, backslashes, commas,
braces and Chinese come back exactly, the newest version wins within one statement,
and an empty list stays empty."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, select

from services.activities.directory import MemberProjection, OrganizationProjection
from services.activities.settings import ActivitiesSettings
from shared.db import create_engine, session_factory, unit_of_work
from shared.projections.upsert import array_literal, upsert_many_if_newer

pytestmark = pytest.mark.integration

TRICKY = ["调解", 'say "hi"', "back\\slash", "a,b", "{braces}", "NULL", " spaced "]


def test_array_literals_quote_every_element() -> None:
    assert array_literal([]) == "{}"
    assert array_literal(None) is None
    assert array_literal(['a"b', "c\\d", None]) == '{"a\\"b","c\\\\d",NULL}'


async def test_list_columns_round_trip_through_the_set_based_upsert(settings_for: Any) -> None:
    settings = await settings_for(ActivitiesSettings)
    engine = create_engine(settings.database_url)
    member, other, community = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)

    def row(member_id: uuid.UUID, version: int, specialties: list[str]) -> dict[str, Any]:
        return {
            "member_id": member_id,
            "version": version,
            "name": "张三",
            "district_id": None,
            "community_id": community,
            "branch_id": None,
            "home_organization_id": None,
            "status": "active",
            "gender": None,
            "birth_date": None,
            "categories": ["retired"],
            "specialties": specialties,
            "joined_at": None,
            "lives_in_area": True,
            "updated_at": now,
        }

    members = cast(Table, MemberProjection.__table__)
    organizations = cast(Table, OrganizationProjection.__table__)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            await upsert_many_if_newer(
                session,
                members,
                [row(member, 2, TRICKY), row(member, 1, ["旧"]), row(other, 1, [])],
                key=["member_id"],
            )
            await upsert_many_if_newer(
                session,
                organizations,
                [
                    {
                        "organization_id": other,
                        "version": 1,
                        "kind": "branch",
                        "name": "第一支部",
                        "parent_id": community,
                        "ancestor_ids": [community, member],
                        "district_id": None,
                        "community_id": community,
                        "status": "active",
                        "co_building_community_ids": [],
                        "branch_kind": "retired",
                        "updated_at": now,
                    }
                ],
                key=["organization_id"],
            )
        async with unit_of_work(session_factory(engine)) as session:
            got = dict(
                (await session.execute(select(members.c.member_id, members.c.specialties))).all()
            )
            ancestors = await session.scalar(select(organizations.c.ancestor_ids))
        assert got == {member: TRICKY, other: []}
        assert ancestors == [community, member]
    finally:
        await engine.dispose()
