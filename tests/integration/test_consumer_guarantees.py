"""Consumers: inbox deduplication, offsets after the database commit, lost database
connections retried without limit, dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from aiokafka import TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.activities.app import SPEC as ACTIVITIES
from services.activities.directory import DIRECTORY
from services.activities.handlers import HANDLERS
from services.activities.settings import ActivitiesSettings
from shared.consumer import BatchHandler
from shared.envelope import EventEnvelope
from tests.messaging import (
    EFFECT_LOG_DDL,
    CountingHandlers,
    committed_total,
    consumer_runner,
    duplicates_seen,
    effects,
    member_registered,
    read_topic,
    run_until_committed,
    send_raw,
)
from tests.platform import eventually, running

pytestmark = pytest.mark.integration
# The plain projection function, to wrap in handlers that count or fail.
project_members = DIRECTORY.handlers["member.registered"].handle  # type: ignore[union-attr]


class SimulatedCrash(Exception):
    """Stands for the process dying at a chosen point."""


Activities = tuple[ActivitiesSettings, Any, str]


@pytest.fixture
async def activities(settings_for: Callable[..., Any], db_conn: Callable[..., Any]) -> Activities:
    """Settings on a fresh activities database with an effect log, its connection, and
    the members topic it consumes."""
    settings = await settings_for(ActivitiesSettings)
    conn = await db_conn(settings.database_url)
    await conn.execute(EFFECT_LOG_DDL)
    return settings, conn, settings.topic("members")


async def test_same_event_delivered_three_times_changes_the_projection_once(
    activities: Activities,
) -> None:
    settings, conn, topic = activities
    event = member_registered("王五")
    await send_raw(settings, topic, [(event.key.encode(), event.to_bytes())] * 3)
    counting = CountingHandlers(HANDLERS)
    async with consumer_runner(ACTIVITIES, settings, counting.handlers) as runner:
        await run_until_committed(runner, topic, 3)

    assert await effects(conn, event.event_id) == 1
    assert await conn.fetchval("SELECT count(*) FROM member_projection") == 1
    assert await conn.fetchval("SELECT name FROM member_projection") == "王五"
    assert await conn.fetchval("SELECT count(*) FROM inbox") == 1


async def test_crash_between_database_commit_and_offset_commit_redelivers_without_effect(
    activities: Activities,
) -> None:
    settings, conn, topic = activities
    event = member_registered("赵六")
    await send_raw(settings, topic, [(event.key.encode(), event.to_bytes())])
    counting = CountingHandlers(HANDLERS)

    async def crash(tp: TopicPartition, offset: int) -> None:
        raise SimulatedCrash

    async with consumer_runner(
        ACTIVITIES, settings, counting.handlers, after_db_commit=crash
    ) as runner:
        with pytest.raises(SimulatedCrash):
            await runner.run(asyncio.Event())
        assert await committed_total(runner, topic) == 0
    assert await effects(conn, event.event_id) == 1  # the effect is committed

    before = duplicates_seen()
    async with consumer_runner(ACTIVITIES, settings, counting.handlers) as runner:
        await run_until_committed(runner, topic, 1)
    assert duplicates_seen() == before + 1  # redelivered after the restart ...
    assert await effects(conn, event.event_id) == 1  # ... and skipped by the inbox
    assert await conn.fetchval("SELECT count(*) FROM member_projection") == 1


async def test_lost_database_connections_are_retried_past_max_attempts_and_never_dead_letter(
    activities: Activities, db_conn: Callable[..., Any]
) -> None:
    settings, conn, topic = activities
    event = member_registered("钱七")
    await send_raw(settings, topic, [(event.key.encode(), event.to_bytes())])
    # More losses in a row than a failing handler is allowed attempts.
    losses = settings.consumer_max_attempts + 2
    lost = 0
    killer = await db_conn(settings.database_url)
    counted = CountingHandlers(HANDLERS).handlers["member.registered"]
    assert isinstance(counted, BatchHandler)

    async def loses_its_connection(
        session: AsyncSession, events: Sequence[tuple[EventEnvelope, Any]]
    ) -> None:
        """The real projection and effect row are written, then the connection is
        terminated from outside (a failover, an operator) before the transaction ends."""
        nonlocal lost
        await counted.handle(session, events)
        if lost < losses:
            lost += 1
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert await killer.fetchval("SELECT pg_terminate_backend($1, 10000)", pid)
            await session.execute(text("SELECT 1"))

    handlers = {"member.registered": BatchHandler(loses_its_connection)}
    async with consumer_runner(ACTIVITIES, settings, handlers) as runner:
        await run_until_committed(runner, topic, 1)

    assert await conn.fetchval("SELECT count(*) FROM dead_letters") == 0
    assert await read_topic(settings, settings.dead_letter_topic, expect=0) == []
    assert lost == losses
    assert await effects(conn, event.event_id) == 1  # the lost transactions left nothing
    assert await conn.fetchval("SELECT name FROM member_projection") == "钱七"


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_partition_moves_on(
    activities: Activities,
) -> None:
    settings, conn, topic = activities
    key = b"same-key-so-one-partition"
    good1, failing, good2 = (member_registered(n) for n in ("甲", "永远失败", "乙"))
    await send_raw(
        settings,
        topic,
        [
            (key, good1.to_bytes()),
            (key, b"{not json"),
            (key, failing.to_bytes()),
            (key, good2.to_bytes()),
        ],
    )

    async def fails_for_one_name(session: AsyncSession, event: EventEnvelope, payload: Any) -> None:
        if payload.member.name == "永远失败":
            # An error that quotes personal data (as a refused row would): masked.
            raise RuntimeError("处理器故障 13912345678")
        await project_members(session, [(event, payload)])

    counting = CountingHandlers({"member.registered": fails_for_one_name})
    async with consumer_runner(ACTIVITIES, settings, counting.handlers) as runner:
        await run_until_committed(runner, topic, 4)
    assert await effects(conn, good1.event_id) == await effects(conn, good2.event_id) == 1
    assert await effects(conn, failing.event_id) == 0

    letters = await read_topic(settings, settings.dead_letter_topic, expect=2)
    assert len(letters) == 2
    headers = [{k: v.decode() for k, v in r.headers} for r in letters]
    by_offset = {int(h["dlq_origin_offset"]): h for h in headers}
    assert set(by_offset) == {1, 2}
    assert "JSON" in by_offset[1]["dlq_error"] or "json" in by_offset[1]["dlq_error"]
    assert "处理器故障 139****5678" in by_offset[2]["dlq_error"]
    assert by_offset[2]["dlq_attempts"] == str(settings.consumer_max_attempts)
    for h in headers:
        assert h["dlq_origin_topic"] == topic
        assert h["dlq_consumer"] == settings.consumer_group
    assert {r.value for r in letters} == {b"{not json", failing.to_bytes()}

    names = {r["name"] for r in await conn.fetch("SELECT name FROM member_projection")}
    assert names == {"甲", "乙"}

    # The operator lists the dead letters and replays the one a fixed handler can take.
    async with running("activities", settings) as service:
        listed = (await service.client.get("/ops/dead-letters")).json()["items"]
        assert [d["offset"] for d in listed] == [1, 2]
        assert "13912345678" not in str(listed)
        failed = next(d for d in listed if d["offset"] == 2)
        assert failed["event_id"] == str(failing.event_id)
        replay = await service.client.post(f"/ops/dead-letters/{failed['id']}/replay")
        assert replay.status_code == 200, replay.text
        again = await service.client.post(f"/ops/dead-letters/{failed['id']}/replay")
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "already_replayed"
        too_big = await service.client.post(f"/ops/dead-letters/{2**63}/replay")
        assert too_big.status_code == 422, too_big.text  # past bigint: refused, not a 500

        async def projected() -> bool:
            return bool(
                await conn.fetchval(
                    "SELECT count(*) FROM member_projection WHERE name = '永远失败'"
                )
            )

        await eventually(projected)
        pending = (await service.client.get("/ops/dead-letters")).json()["items"]
        assert [d["offset"] for d in pending] == [1]
