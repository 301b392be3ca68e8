"""The outbox relay: nothing published from a rolled-back transaction, re-publish after a
crash, several relays on one outbox, and a broker that stops answering for a while."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.activities.app import SPEC as ACTIVITIES
from services.activities.handlers import HANDLERS
from services.activities.settings import ActivitiesSettings
from services.members.app import SPEC as MEMBERS
from services.members.models import messaging
from services.members.registry.schemas import MemberCreate
from services.members.registry.service import register_member
from services.members.settings import MembersSettings
from shared.db import create_engine, session_factory
from shared.envelope import EventEnvelope
from shared.kafka import ensure_topics, make_producer
from shared.outbox import AfterPublish, OutboxRelay, add_events
from shared.settings import ServiceSettings
from shared.writes import write_context
from tests.broker_proxy import PRODUCE, BrokerProxy
from tests.infra import Infra
from tests.messaging import (
    EFFECT_LOG_DDL,
    CountingHandlers,
    consumer_runner,
    duplicates_seen,
    effects,
    member_registered,
    read_topic,
    run_until_committed,
)
from tests.orgtree import build_tree, member_body
from tests.platform import eventually, running

pytestmark = pytest.mark.integration


class SimulatedCrash(Exception):
    pass


@asynccontextmanager
async def members_outbox(
    settings: ServiceSettings,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], Callable[..., OutboxRelay]]]:
    """Sessions on the members database and a factory of relays on its outbox."""
    await ensure_topics(settings, [settings.topic("members")])
    engine = create_engine(settings.database_url, 5)
    sessions = session_factory(engine)
    producers = []

    def relay(
        batch_size: int = 500,
        after_publish: AfterPublish | None = None,
        producer: AIOKafkaProducer | None = None,
    ) -> OutboxRelay:
        producer = producer or make_producer(settings)
        producers.append(producer)
        return OutboxRelay(
            service="members",
            sessions=sessions,
            outbox=messaging.outbox,
            producer=producer,
            database_url=settings.database_url,
            batch_size=batch_size,
            poll_seconds=0.2,
            after_publish=after_publish,
        )

    try:
        yield sessions, relay
    finally:
        for producer in producers:
            await producer.stop()
        await engine.dispose()


async def started(relay: OutboxRelay) -> OutboxRelay:
    await relay.producer.start()
    return relay


async def write_events(
    sessions: async_sessionmaker[AsyncSession], topic: str, events: list[EventEnvelope]
) -> None:
    async with sessions() as session, session.begin():
        await add_events(session, messaging.outbox, topic, events)


async def unsent(conn: Any) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    return count


async def test_rolled_back_transaction_publishes_nothing(
    settings_for: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    settings = await settings_for(MembersSettings)
    topic = settings.topic("members")
    async with running("members", settings, worker=False) as api:  # no relay running
        tree = await build_tree(api.client)
    ctx = write_context(MEMBERS, settings, actor="test")
    async with members_outbox(settings) as (sessions, relay_factory):
        with pytest.raises(RuntimeError):
            async with sessions() as session, session.begin():
                rolled_back = MemberCreate(name="回滚", home_organization_id=tree.branch)
                await register_member(session, rolled_back, ctx)
                raise RuntimeError("the request failed after the member was written")
        async with sessions() as session, session.begin():
            kept_data = MemberCreate(name="保留", home_organization_id=tree.branch)
            kept = await register_member(session, kept_data, ctx)
        relay = await started(relay_factory())
        while await relay.publish_batch():
            pass

    conn = await db_conn(settings.database_url)
    total = await conn.fetchval("SELECT count(*) FROM outbox")
    records = await read_topic(settings, topic, expect=total)
    members = [r.key for r in records if dict(r.headers)["event_type"] == b"member.registered"]
    assert members == [str(kept.id).encode()]
    assert await conn.fetchval("SELECT count(*) FROM member") == 1


async def test_relay_crash_after_publishing_republishes_and_consumers_ignore_the_copy(
    settings_for: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    members = await settings_for(MembersSettings)
    activities = await settings_for(ActivitiesSettings)
    topic = members.topic("members")
    events = [member_registered(f"党员{i}") for i in range(5)]

    async def crash(ids: list[int]) -> None:
        raise SimulatedCrash

    async with members_outbox(members) as (sessions, relay_factory):
        await write_events(sessions, topic, events)
        crashing = await started(relay_factory(after_publish=crash))
        with pytest.raises(SimulatedCrash):
            await crashing.publish_batch()
        members_conn = await db_conn(members.database_url)
        assert await unsent(members_conn) == 5  # acknowledged by the broker, never marked
        assert await (await started(relay_factory())).publish_batch() == 5
        assert await unsent(members_conn) == 0

    assert len(await read_topic(members, topic, expect=10)) == 10  # every event twice
    conn = await db_conn(activities.database_url)
    await conn.execute(EFFECT_LOG_DDL)
    counting = CountingHandlers(HANDLERS)
    before = duplicates_seen()
    async with consumer_runner(ACTIVITIES, activities, counting.handlers) as runner:
        await run_until_committed(runner, topic, 10)  # the events and their copies
    assert duplicates_seen() == before + 5
    for event in events:
        assert await effects(conn, event.event_id) == 1
    assert await conn.fetchval("SELECT count(*) FROM member_projection") == 5


async def test_two_relays_on_one_outbox_publish_every_event_exactly_once(
    settings_for: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    settings = await settings_for(MembersSettings)
    topic = settings.topic("members")
    events = [member_registered(f"党员{i}") for i in range(1000)]
    async with members_outbox(settings) as (sessions, relay_factory):
        for start in range(0, len(events), 100):
            await write_events(sessions, topic, events[start : start + 100])
        relays = [await started(relay_factory(batch_size=25)) for _ in range(2)]
        stop = asyncio.Event()
        tasks = [asyncio.create_task(r.run(stop)) for r in relays]
        conn = await db_conn(settings.database_url)

        async def drained() -> bool:
            return await unsent(conn) == 0

        await eventually(drained, timeout=60)
        stop.set()
        await asyncio.gather(*tasks)

    records = await read_topic(settings, topic, expect=1000)
    ids = [EventEnvelope.from_bytes(r.value).event_id for r in records]
    assert len(ids) == 1000
    assert set(ids) == {e.event_id for e in events}


async def test_rows_stay_unsent_until_the_broker_acknowledged_them(
    settings_for: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    """The relay awaits every ack before it marks a row sent: while the broker cannot be
    reached the sends fail and the rows stay unsent; afterwards they are published."""
    settings = await settings_for(MembersSettings)
    topic = settings.topic("members")
    first, *stranded = [member_registered(f"党员{i}") for i in range(6)]
    async with (
        BrokerProxy(settings.kafka_bootstrap_servers) as proxy,
        members_outbox(settings) as (sessions, relay_factory),
    ):
        # A real producer of the test's own: not idempotent (an idempotent one retries an
        # unanswered batch for ever) and with a short request timeout, so that a batch
        # nobody answers fails after 3 s instead of 30.
        producer = AIOKafkaProducer(
            bootstrap_servers=proxy.bootstrap_servers,
            acks="all",
            enable_idempotence=False,
            request_timeout_ms=3000,
        )
        relay = await started(relay_factory(producer=producer))
        await write_events(sessions, topic, [first])
        assert await relay.publish_batch() == 1  # the producer knows the topic's partitions
        conn = await db_conn(settings.database_url)

        proxy.pause()
        await write_events(sessions, topic, stranded)
        with pytest.raises(KafkaError):
            await relay.publish_batch()
        assert proxy.held[PRODUCE] > 0  # the batch did go out, and no ack came back
        assert await unsent(conn) == 5

        proxy.resume()
        assert await relay.publish_batch() == 5
        assert await unsent(conn) == 0

    # At least once: the timed-out batch may also have reached the broker after resume.
    records = await read_topic(settings, topic, expect=6)
    published = {EventEnvelope.from_bytes(r.value).event_id for r in records}
    assert published == {e.event_id for e in [first, *stranded]}


async def test_broker_unreachable_mid_stream_loses_nothing_and_the_relay_catches_up(
    infra: Infra, settings_for: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    """Both services reach the broker through proxies that the test pauses: the broker
    answers nobody for a while, whichever broker the run uses, as if it were stopped."""
    total, pause_at, resume_at = 120, 40, 80
    async with (
        BrokerProxy(infra.bootstrap_servers) as to_members,
        BrokerProxy(infra.bootstrap_servers) as to_activities,
    ):
        members = await settings_for(
            MembersSettings, kafka_bootstrap_servers=to_members.bootstrap_servers
        )
        activities = await settings_for(
            ActivitiesSettings, kafka_bootstrap_servers=to_activities.bootstrap_servers
        )
        members_conn = await db_conn(members.database_url)

        async def relay_was_held() -> bool:
            return to_members.held[PRODUCE] > 0

        async with (
            running("members", members) as m,
            running("activities", activities),
        ):
            tree = await build_tree(m.client)
            for i in range(total):
                if i == pause_at:
                    to_members.pause()
                    to_activities.pause()
                if i == resume_at:
                    # The relay's publishing was caught by the pause (a request or its ack
                    # held), and the rows written meanwhile all still wait for their acks.
                    await eventually(relay_was_held)
                    assert await unsent(members_conn) >= resume_at - pause_at
                    to_members.resume()
                    to_activities.resume()
                response = await m.client.post("/members", json=member_body(tree, f"党员{i}"))
                assert response.status_code == 201, response.text  # writes go on meanwhile
            conn = await db_conn(activities.database_url)

            async def all_projected() -> bool:
                return await conn.fetchval("SELECT count(*) FROM member_projection") == total

            await eventually(all_projected, timeout=90)
    assert await unsent(members_conn) == 0
    assert await conn.fetchval("SELECT count(*) FROM dead_letters") == 0  # an outage is no poison
