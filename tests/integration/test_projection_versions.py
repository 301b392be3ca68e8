"""Projections keep the newest state: an older state delivered after a newer one changes
nothing, whether the two arrive in one batch or in separate ones (README, "Events carry
state"). Through the real consumer and handler table of a service, on its real tables."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import TopicPartition
from pydantic import BaseModel

from services.activities.app import SPEC as ACTIVITIES
from services.activities.handlers import HANDLERS
from services.activities.settings import ActivitiesSettings
from shared.contracts.members import MemberChanged, MemberRegistered, MemberState
from shared.contracts.organizations import OrganizationChanged, OrganizationState
from shared.envelope import EventEnvelope, Tenant
from tests.messaging import consumer_runner, run_until_committed, send_raw

pytestmark = pytest.mark.integration

COMMUNITY = uuid.uuid4()


def event(event_type: str, key: uuid.UUID, payload: BaseModel) -> EventEnvelope:
    return EventEnvelope(
        type=event_type,
        producer="members",
        tenant=Tenant(community_id=COMMUNITY),
        key=str(key),
        payload=payload.model_dump(mode="json"),
    )


def member(member_id: uuid.UUID, version: int, name: str, status: str) -> MemberState:
    return MemberState(
        member_id=member_id,
        version=version,
        name=name,
        community_id=COMMUNITY,
        status=status,
        updated_at=datetime.now(UTC),
    )


def organization(org_id: uuid.UUID, version: int, name: str, status: str) -> OrganizationState:
    return OrganizationState(
        organization_id=org_id,
        version=version,
        kind="branch",
        name=name,
        parent_id=COMMUNITY,
        ancestor_ids=[COMMUNITY],
        community_id=COMMUNITY,
        status=status,
        updated_at=datetime.now(UTC),
    )


def wire(events: list[EventEnvelope]) -> list[tuple[bytes | None, bytes]]:
    return [(e.key.encode(), e.to_bytes()) for e in events]


@pytest.mark.parametrize("delivery", ["one batch", "separate batches"])
async def test_an_older_state_after_a_newer_one_leaves_the_newer_one(
    delivery: str, settings_for: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    settings = await settings_for(ActivitiesSettings)
    conn = await db_conn(settings.database_url)
    topic = settings.topic("members")
    member_id, org_id = uuid.uuid4(), uuid.uuid4()
    # Version 2 is published first, version 1 after it (two relays, or a replay).
    newer = [
        event(
            "member.updated",
            member_id,
            MemberChanged(
                member=member(member_id, 2, "张三丰", "inactive"), changed=["name", "status"]
            ),
        ),
        event(
            "organization.updated",
            org_id,
            OrganizationChanged(
                organization=organization(org_id, 2, "第一党支部（更名）", "inactive"),
                changed=["name", "status"],
            ),
        ),
    ]
    older = [
        event(
            "member.registered",
            member_id,
            MemberRegistered(member=member(member_id, 1, "张三", "active")),
        ),
        event(
            "organization.created",
            org_id,
            OrganizationChanged(organization=organization(org_id, 1, "第一党支部", "active")),
        ),
    ]
    polls: list[TopicPartition] = []

    async def seen(tp: TopicPartition, offset: int) -> None:
        polls.append(tp)

    async with consumer_runner(ACTIVITIES, settings, HANDLERS, after_db_commit=seen) as runner:
        if delivery == "one batch":  # each aggregate's pair back to back: one upsert call
            await send_raw(settings, topic, wire([newer[0], older[0], newer[1], older[1]]))
        else:
            await send_raw(settings, topic, wire(newer))
            await run_until_committed(runner, topic, 2)
            assert await conn.fetchval("SELECT version FROM member_projection") == 2
            await send_raw(settings, topic, wire(older))
        await run_until_committed(runner, topic, 4)
    if delivery == "one batch":  # each aggregate's two events came in one poll
        assert len(polls) == len(set(polls)), polls
    # Both older events reached the handlers (the inbox took them) and changed nothing.
    assert await conn.fetchval("SELECT count(*) FROM inbox") == 4
    assert tuple(
        await conn.fetchrow(
            "SELECT version, name, status FROM member_projection WHERE member_id = $1", member_id
        )
    ) == (2, "张三丰", "inactive")
    assert tuple(
        await conn.fetchrow(
            "SELECT version, name, status FROM organization_projection WHERE organization_id = $1",
            org_id,
        )
    ) == (2, "第一党支部（更名）", "inactive")

    # A newer state still wins: the check compares versions, it does not freeze rows.
    newest = [
        event(
            "member.updated",
            member_id,
            MemberChanged(
                member=member(member_id, 3, "张三", "active"), changed=["name", "status"]
            ),
        ),
        event(
            "organization.updated",
            org_id,
            OrganizationChanged(
                organization=organization(org_id, 3, "第一党支部", "active"),
                changed=["name", "status"],
            ),
        ),
    ]
    await send_raw(settings, topic, wire(newest))
    async with consumer_runner(ACTIVITIES, settings, HANDLERS) as runner:
        await run_until_committed(runner, topic, 6)
    assert tuple(await conn.fetchrow("SELECT version, name, status FROM member_projection")) == (
        3,
        "张三",
        "active",
    )
    assert tuple(
        await conn.fetchrow("SELECT version, name, status FROM organization_projection")
    ) == (3, "第一党支部", "active")
