"""Building blocks for tests of the delivery guarantees: raw producers and readers,
events, and consumer runners whose handlers count how often they really ran."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.consumer import AfterCommit, BatchHandler, ConsumerRunner, Handler, HandlerEntry
from shared.contracts.members import MEMBER_REGISTERED, MemberRegistered, MemberState
from shared.db import create_engine, session_factory
from shared.envelope import EventEnvelope, Tenant
from shared.kafka import ensure_topics, make_consumer, make_producer
from shared.metrics import EVENTS_CONSUMED
from shared.runtime import ServiceSpec
from shared.settings import ServiceSettings
from tests.platform import eventually


def member_registered(name: str = "李四", member_id: uuid.UUID | None = None) -> EventEnvelope:
    member_id = member_id or uuid.uuid4()
    community = uuid.uuid4()
    state = MemberState(
        member_id=member_id,
        version=1,
        name=name,
        community_id=community,
        status="active",
        updated_at=datetime.now(UTC),
    )
    return EventEnvelope(
        type=MEMBER_REGISTERED.event_type,
        producer="members",
        tenant=Tenant(community_id=community),
        key=str(member_id),
        payload=MemberRegistered(member=state).model_dump(mode="json"),
    )


EFFECT_LOG_DDL = "CREATE TABLE IF NOT EXISTS test_effect_log (event_id uuid NOT NULL)"


class CountingHandlers:
    """Wraps a handler table so that every run also appends a row to ``test_effect_log``
    in the handler's own transaction: the rows count the effects that were committed,
    which no idempotent upsert could hide. Create the table with ``EFFECT_LOG_DDL``."""

    def __init__(self, handlers: Mapping[str, HandlerEntry]) -> None:
        self.handlers = {t: self._wrap(h) for t, h in handlers.items()}

    @staticmethod
    def _wrap(handler: HandlerEntry) -> HandlerEntry:
        insert = text("INSERT INTO test_effect_log (event_id) VALUES (:id)")
        if isinstance(handler, BatchHandler):
            inner = handler

            async def counted_batch(
                session: AsyncSession, events: Sequence[tuple[EventEnvelope, Any]]
            ) -> None:
                await inner.handle(session, events)
                await session.execute(insert, [{"id": e.event_id} for e, _ in events])

            return BatchHandler(counted_batch)

        plain: Handler = handler

        async def counted(session: AsyncSession, event: EventEnvelope, payload: Any) -> None:
            await plain(session, event, payload)
            await session.execute(insert, {"id": event.event_id})

        return counted


def duplicates_seen(service: str = "activities", event_type: str = "member.registered") -> float:
    """How many redelivered events the service's inbox has skipped in this process."""
    value: float = EVENTS_CONSUMED.labels(service, event_type, "duplicate")._value.get()
    return value


async def effects(conn: asyncpg.Connection, event_id: uuid.UUID) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM test_effect_log WHERE event_id = $1", event_id
    )
    return count


@asynccontextmanager
async def consumer_runner(
    spec: ServiceSpec,
    settings: ServiceSettings,
    handlers: Mapping[str, HandlerEntry],
    *,
    after_db_commit: AfterCommit | None = None,
) -> AsyncIterator[ConsumerRunner]:
    """A runner on the service's real tables and group, with a hand-picked handler table.

    Leaving the block stops the consumer without committing anything more, as a crash
    after the last commit would."""
    topics = [settings.topic(p) for p in spec.consumes]
    await ensure_topics(settings, [*topics, settings.dead_letter_topic])
    engine = create_engine(settings.database_url, 5)
    producer = make_producer(settings)
    consumer = make_consumer(settings, topics)
    await producer.start()
    await consumer.start()
    try:
        yield ConsumerRunner(
            service=spec.name,
            consumer_name=settings.consumer_group,
            consumer=consumer,
            producer=producer,
            sessions=session_factory(engine),
            inbox=spec.tables.inbox,
            dead_letters=spec.tables.dead_letters,
            dead_letter_topic=settings.dead_letter_topic,
            handlers=handlers,
            max_attempts=settings.consumer_max_attempts,
            backoff_seconds=settings.consumer_backoff_seconds,
            backoff_max_seconds=settings.consumer_backoff_max_seconds,
            after_db_commit=after_db_commit,
        )
    finally:
        await consumer.stop()
        await producer.stop()
        await engine.dispose()


async def send_raw(
    settings: ServiceSettings, topic: str, messages: list[tuple[bytes | None, bytes]]
) -> None:
    await ensure_topics(settings, [topic])
    producer = make_producer(settings)
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


async def read_topic(
    settings: ServiceSettings, topic: str, expect: int, timeout: float = 20.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record the topic holds, read from the start without a group, once it holds at
    least ``expect``: reading stops at the end offsets, so extra duplicates are seen too
    and no quiet spell has to be waited out."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        await consumer.topics()  # loads the topic's partitions
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ends = await consumer.end_offsets(partitions)
            while time.monotonic() < deadline and await _behind(consumer, ends):
                batch = await consumer.getmany(timeout_ms=500)
                records.extend(r for rs in batch.values() for r in rs)
            if len(records) >= expect:
                break
            await asyncio.sleep(0.05)  # fewer than expected so far: look again
    finally:
        await consumer.stop()
    return records


async def _behind(consumer: AIOKafkaConsumer, ends: Mapping[TopicPartition, int]) -> bool:
    return any([await consumer.position(tp) < end for tp, end in ends.items()])


async def committed_total(runner: ConsumerRunner, topic: str) -> int:
    """The offsets the runner's group committed on ``topic``, summed over its partitions."""
    partitions = runner.consumer.partitions_for_topic(topic) or set()
    offsets = [await runner.consumer.committed(TopicPartition(topic, p)) for p in partitions]
    return sum(o or 0 for o in offsets)


async def run_until_committed(runner: ConsumerRunner, topic: str, count: int) -> None:
    """Run the consumer until its group committed ``count`` offsets on ``topic`` in all,
    i.e. until every one of the first ``count`` records was handled or dead-lettered."""
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    async def committed() -> bool:
        if task.done():
            return True  # crashed: surfaced below
        return await committed_total(runner, topic) >= count

    try:
        await eventually(committed)
    finally:
        stop.set()
        await task
