"""The two measured runs: the full outbox/consumer pipeline and raw aiokafka."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.activities.directory import MemberProjection
from services.activities.handlers import HANDLERS
from services.activities.models import messaging as activities_tables
from services.activities.settings import ActivitiesSettings
from services.members.models import messaging as members_tables
from services.members.settings import MembersSettings
from shared.consumer import BatchHandler, ConsumerRunner, Handler, HandlerEntry
from shared.contracts.members import MEMBER_REGISTERED, MemberRegistered, MemberState
from shared.db import create_engine, session_factory
from shared.envelope import EventEnvelope, Tenant
from shared.kafka import ensure_topics, make_consumer, make_producer
from shared.outbox import OutboxRelay, add_events

WRITE_BATCH = 100  # events per writer transaction, as a busy API would commit them
TIMEOUT_SECONDS = 600.0


@dataclass
class RunResult:
    events: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # this process's CPU time while the run was timed
    steal: float | None = None  # share of the machine's CPU time the hypervisor took

    @property
    def rate(self) -> float:
        return self.events / self.seconds


class CpuClock:
    """This process's CPU time and the machine's steal time (Linux /proc/stat) over a run:
    on a shared virtual machine, stolen CPU explains much of the run-to-run spread."""

    def __init__(self) -> None:
        self.process = time.process_time()
        self.stat = _proc_stat()

    def stop(self, result: RunResult) -> RunResult:
        result.cpu_seconds = time.process_time() - self.process
        stat = _proc_stat()
        if self.stat and stat:
            delta = [b - a for a, b in zip(self.stat, stat, strict=True)]
            if sum(delta) > 0 and len(delta) > 7:
                result.steal = delta[7] / sum(delta)
        return result


def _proc_stat() -> list[int] | None:
    try:
        with open("/proc/stat") as f:
            return [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None


def member_event() -> EventEnvelope:
    member_id, community_id = uuid.uuid4(), uuid.uuid4()
    state = MemberState(
        member_id=member_id,
        version=1,
        name="张三",
        community_id=community_id,
        branch_id=uuid.uuid4(),
        status="active",
        updated_at=datetime.now(UTC),
    )
    return EventEnvelope(
        type=MEMBER_REGISTERED.event_type,
        version=MEMBER_REGISTERED.version,
        producer="members",
        tenant=Tenant(community_id=community_id),
        key=str(member_id),
        correlation_id=f"bench-{uuid.uuid4().hex[:12]}",
        payload=MemberRegistered(member=state).model_dump(mode="json"),
    )


class CommitTracker:
    """Latency = commit time of the handler's transaction - envelope.occurred_at.

    Wrapped handlers note each event on their session; a SQLAlchemy ``after_commit``
    listener on that session stamps them when the COMMIT has returned from PostgreSQL.
    """

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.committed: set[uuid.UUID] = set()
        self.latencies_ms: list[float] = []
        self.finished_at = 0.0
        self.done = asyncio.Event()

    def wrap(self, handler: HandlerEntry) -> HandlerEntry:
        if isinstance(handler, BatchHandler):
            inner = handler

            async def tracked_batch(
                session: AsyncSession, events: Sequence[tuple[EventEnvelope, Any]]
            ) -> None:
                await inner.handle(session, events)
                pending = self._pending(session.sync_session)
                pending.extend((env.event_id, env.occurred_at) for env, _ in events)

            return BatchHandler(tracked_batch)

        plain: Handler = handler

        async def tracked(session: AsyncSession, env: EventEnvelope, payload: Any) -> None:
            await plain(session, env, payload)
            self._pending(session.sync_session).append((env.event_id, env.occurred_at))

        return tracked

    def _pending(self, session: Session) -> list[tuple[uuid.UUID, datetime]]:
        pending: list[tuple[uuid.UUID, datetime]] | None = session.info.get("bench_pending")
        if pending is None:
            pending = session.info["bench_pending"] = []
            event.listen(session, "after_commit", self._on_commit)
            event.listen(session, "after_rollback", lambda s: pending.clear())
        return pending

    def _on_commit(self, session: Session) -> None:
        now = datetime.now(UTC)
        pending = session.info["bench_pending"]
        for event_id, occurred_at in pending:
            if event_id not in self.committed:
                self.committed.add(event_id)
                self.latencies_ms.append((now - occurred_at).total_seconds() * 1000)
        pending.clear()
        if len(self.committed) >= self.expected and not self.done.is_set():
            self.finished_at = time.perf_counter()
            self.done.set()


async def run_pipeline(
    members: MembersSettings, activities: ActivitiesSettings, n: int
) -> RunResult:
    topic = members.topic("members")
    await ensure_topics(members, [topic])
    await ensure_topics(activities, [topic, activities.dead_letter_topic])
    m_engine = create_engine(members.database_url, members.database_pool_size)
    a_engine = create_engine(activities.database_url, activities.database_pool_size)
    m_sessions, a_sessions = session_factory(m_engine), session_factory(a_engine)
    m_producer, a_producer = make_producer(members), make_producer(activities)
    consumer = make_consumer(activities, [topic])
    tracker = CommitTracker(n)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        await m_producer.start()
        await a_producer.start()
        relay = OutboxRelay(
            service="members",
            sessions=m_sessions,
            outbox=members_tables.outbox,
            producer=m_producer,
            database_url=members.database_url,
            batch_size=members.outbox_batch_size,
            poll_seconds=members.outbox_poll_seconds,
        )
        tasks.append(asyncio.create_task(relay.run(stop), name="relay"))
        await consumer.start()  # returns once the group has assigned the partitions
        runner = ConsumerRunner(
            service="activities",
            consumer_name=activities.consumer_group,
            consumer=consumer,
            producer=a_producer,
            sessions=a_sessions,
            inbox=activities_tables.inbox,
            dead_letters=activities_tables.dead_letters,
            dead_letter_topic=activities.dead_letter_topic,
            handlers={t: tracker.wrap(h) for t, h in HANDLERS.items()},
            max_attempts=activities.consumer_max_attempts,
        )
        tasks.append(asyncio.create_task(runner.run(stop), name="consumer"))
        await asyncio.sleep(0.5)  # the relay's LISTEN connection is up

        clock = CpuClock()
        started = time.perf_counter()
        for offset in range(0, n, WRITE_BATCH):
            envelopes = [member_event() for _ in range(min(WRITE_BATCH, n - offset))]
            async with m_sessions() as session, session.begin():
                await add_events(session, members_tables.outbox, topic, envelopes)
        await _until(tracker.done, tasks)
        result = clock.stop(RunResult(n, tracker.finished_at - started, tracker.latencies_ms))
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await consumer.stop()
        await m_producer.stop()
        await a_producer.stop()

    try:
        await _verify(m_sessions, a_sessions, n)
    finally:
        await m_engine.dispose()
        await a_engine.dispose()
    return result


async def _until(done: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Wait for ``done``; fail if a background loop dies or nothing finishes in time."""
    waiter = asyncio.create_task(done.wait())
    finished, _ = await asyncio.wait(
        [waiter, *tasks], timeout=TIMEOUT_SECONDS, return_when=asyncio.FIRST_COMPLETED
    )
    waiter.cancel()
    if waiter not in finished:
        for task in finished:
            task.result()  # re-raises the loop's exception
        raise RuntimeError(f"pipeline did not finish within {TIMEOUT_SECONDS:.0f} s")


async def _verify(m_sessions: Any, a_sessions: Any, n: int) -> None:
    outbox, dead = members_tables.outbox, activities_tables.dead_letters
    async with m_sessions() as session:
        total = (await session.execute(select(func.count()).select_from(outbox))).scalar_one()
        unsent = (
            await session.execute(select(func.count()).where(outbox.c.sent_at.is_(None)))
        ).scalar_one()
    async with a_sessions() as session:
        projected = (
            await session.execute(select(func.count()).select_from(MemberProjection))
        ).scalar_one()
        dead_letters = (await session.execute(select(func.count()).select_from(dead))).scalar_one()
    problems = []
    if total != n:
        problems.append(f"outbox holds {total} rows, expected {n}")
    if unsent:
        problems.append(f"outbox still has {unsent} unsent rows")
    if projected != n:
        problems.append(f"member_projection holds {projected} rows, expected {n}")
    if dead_letters:
        problems.append(f"{dead_letters} dead letters")
    if problems:
        raise AssertionError("pipeline verification failed: " + "; ".join(problems))


async def run_raw(settings: MembersSettings, n: int) -> RunResult:
    """The same producer settings, message size and partition count, without the pipeline."""
    topic = f"{settings.kafka_topic_prefix}raw.{uuid.uuid4().hex[:8]}"
    partitions = settings.kafka_topic_partitions
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, settings.kafka_replication_factor)])
    finally:
        await admin.close()
    sample = member_event()
    value, headers = sample.to_bytes(), sample.headers()
    keys = [str(uuid.uuid4()).encode() for _ in range(n)]
    producer = make_producer(settings)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id="bench-raw-consumer",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.consumer_batch_size,
    )
    consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
    await producer.start()
    await consumer.start()
    try:

        async def consume() -> float:
            seen = 0
            while seen < n:
                batches = await consumer.getmany(timeout_ms=200)
                seen += sum(len(records) for records in batches.values())
            return time.perf_counter()

        clock = CpuClock()
        started = time.perf_counter()
        reader = asyncio.create_task(consume())
        futures = [
            await producer.send(topic, value=value, key=key, headers=headers) for key in keys
        ]
        await asyncio.gather(*futures)
        finished = await asyncio.wait_for(reader, TIMEOUT_SECONDS)
    finally:
        await consumer.stop()
        await producer.stop()
    return clock.stop(RunResult(n, finished - started))
