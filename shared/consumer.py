"""Consumer runner: one consumer group per service, inbox deduplication, dead letters.

For each partition batch the runner:

1. decodes every message; one that cannot be decoded or fails its contract is a poison
   message and goes straight to the dead-letter topic;
2. runs the batch in one database transaction: inbox rows ``(consumer, event_id)`` are
   inserted with ``ON CONFLICT DO NOTHING`` and only the events that were new reach
   their handler, so a redelivered event changes nothing;
3. if any handler raised, rolls the batch back and retries each message in its own
   transaction with backoff; a message that still fails after ``max_attempts`` goes to
   the dead-letter topic and the partition moves on;
4. commits the Kafka offset only after the database transaction committed.

A lost database or broker connection is not the message's fault: those errors are
retried without limit and never dead-letter a message.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from prometheus_client.metrics import MetricWrapperBase
from pydantic import BaseModel, ValidationError
from sqlalchemy import Table, TextClause, insert, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts import UnknownContract, contract_for
from shared.envelope import EventEnvelope
from shared.log import get_logger, redact
from shared.metrics import (
    CONSUMER_LAG,
    DEAD_LETTERS,
    EVENTS_CONSUMED,
    EVENTS_FAILED,
    HANDLER_LATENCY,
)

log = get_logger(__name__)

Handler = Callable[[AsyncSession, EventEnvelope, Any], Awaitable[None]]


@dataclass(frozen=True)
class BatchHandler:
    """Handles a run of consecutive new events of one type in one call, e.g. with one
    multi-row upsert: per-event statements are what limits a consumer's throughput.
    Only for effects where order inside the run does not matter (version-checked
    projections)."""

    handle: Callable[[AsyncSession, Sequence[tuple[EventEnvelope, Any]]], Awaitable[None]]


HandlerEntry = Handler | BatchHandler
AfterCommit = Callable[[TopicPartition, int], Awaitable[None]]


class PoisonMessage(Exception):
    """The message can never be handled as it is (undecodable, unknown contract, invalid)."""


@dataclass
class Decoded:
    record: ConsumerRecord[bytes, bytes]
    envelope: EventEnvelope | None = None
    payload: BaseModel | None = None
    handler: HandlerEntry | None = None
    error: str | None = None
    attempts: int = 0


@lru_cache(maxsize=4096)
def _child(metric: MetricWrapperBase, *labels: str) -> Any:
    """``metric.labels(...)`` validates and locks on every call; per event, look it up once."""
    return metric.labels(*labels)


def _runs(events: Sequence[Decoded]) -> list[list[Decoded]]:
    """Split into runs that one call handles: consecutive events sharing a batch handler
    form one run; every event for a plain handler is a run of its own. Order between
    runs is kept, so effects of different handlers happen in the order of the events."""
    runs: list[list[Decoded]] = []
    for d in events:
        if runs and isinstance(d.handler, BatchHandler) and runs[-1][0].handler is d.handler:
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs


def _inbox_insert_sql(inbox: Table) -> TextClause:
    name = f'"{inbox.schema}"."{inbox.name}"' if inbox.schema else f'"{inbox.name}"'
    return text(
        f"INSERT INTO {name} (consumer, event_id, event_type) "
        "SELECT :consumer, e, t FROM unnest(CAST(:event_ids AS uuid[]), CAST(:types AS text[])) "
        "AS u(e, t) ON CONFLICT DO NOTHING RETURNING event_id"
    )


def _error_text(exc: BaseException) -> str:
    """What a dead letter records of its error: operators read it in the dead-letter table,
    the topic's headers and ``GET /ops/dead-letters``, and a database error may quote the
    row it refused, so personal numbers are masked as in the logs."""
    return redact(f"{type(exc).__name__}: {exc}")[:4000]


def is_transient_infrastructure_error(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OSError | ConnectionError | TimeoutError | KafkaError)


class ConsumerRunner:
    def __init__(
        self,
        *,
        service: str,
        consumer_name: str,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        sessions: async_sessionmaker[AsyncSession],
        inbox: Table,
        dead_letters: Table,
        dead_letter_topic: str,
        handlers: Mapping[str, HandlerEntry],
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
        backoff_max_seconds: float = 5.0,
        after_db_commit: AfterCommit | None = None,
    ) -> None:
        self.service = service
        self.name = consumer_name
        self.consumer = consumer
        self.producer = producer
        self.sessions = sessions
        self.inbox = inbox
        self.dead_letters = dead_letters
        self.dead_letter_topic = dead_letter_topic
        self.handlers = handlers
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self.after_db_commit = after_db_commit
        self._inbox_insert = _inbox_insert_sql(inbox) if inbox is not None else None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batches = await self.consumer.getmany(timeout_ms=200)
            batches = {tp: records for tp, records in batches.items() if records}
            if batches:
                await self.process_many(batches, stop)

    async def process(
        self,
        tp: TopicPartition,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        stop: asyncio.Event,
    ) -> None:
        await self.process_many({tp: records}, stop)

    async def process_many(
        self,
        batches: Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]],
        stop: asyncio.Event,
    ) -> None:
        """Everything one poll returned, all partitions together: one database transaction
        and one offset commit instead of one per partition. Within a partition the order of
        effects is the order of the records; partitions hold different keys."""
        decoded = [self._decode(r) for records in batches.values() for r in records]
        poison = [d for d in decoded if d.error is not None]
        work = [d for d in decoded if d.error is None and d.handler is not None]
        for d in decoded:
            if d.error is None and d.handler is None and d.envelope is not None:
                _child(EVENTS_CONSUMED, self.service, d.envelope.type, "ignored").inc()
        if work:
            try:
                await self._transaction(work)
            except Exception as exc:
                if not isinstance(exc, PoisonMessage):
                    log.info("consumer.batch_failed_retrying_singly", error=repr(exc))
                for d in work:
                    error = await self._one_with_retries(d, stop)
                    if error is not None:
                        d.error = error
                        poison.append(d)
        for d in sorted(
            poison, key=lambda d: (d.record.topic, d.record.partition, d.record.offset)
        ):
            await self._dead_letter(d, stop)
        if self.after_db_commit is not None:
            for tp, records in batches.items():
                await self.after_db_commit(tp, records[-1].offset)
        try:
            await self.consumer.commit(
                {tp: records[-1].offset + 1 for tp, records in batches.items()}
            )
        except (
            CommitFailedError
        ) as exc:  # rebalanced away: the next owner redelivers, inbox dedupes
            log.warning("consumer.commit_failed", error=repr(exc))
        for tp, records in batches.items():
            highwater = self.consumer.highwater(tp)
            if highwater is not None:
                _child(CONSUMER_LAG, self.service, tp.topic, str(tp.partition)).set(
                    highwater - records[-1].offset - 1
                )

    def _decode(self, record: ConsumerRecord[bytes, bytes]) -> Decoded:
        d = Decoded(record)
        try:
            if record.value is None:
                raise PoisonMessage("empty message value")
            d.envelope = EventEnvelope.from_bytes(record.value)
            d.handler = self.handlers.get(d.envelope.type)
            if d.handler is not None:
                contract = contract_for(d.envelope.type, d.envelope.version)
                d.payload = contract.payload.model_validate(d.envelope.payload)
        except (ValidationError, UnknownContract, PoisonMessage, ValueError) as exc:
            d.error = _error_text(exc)
        return d

    async def _transaction(self, work: Sequence[Decoded]) -> None:
        async with self.sessions() as session, session.begin():
            # One statement for the whole batch, its columns as arrays: the cost per event is
            # asyncpg encoding a UUID, not SQLAlchemy processing a parameter set.
            batch: dict[uuid.UUID, str] = {}
            for d in work:
                if d.envelope is not None:
                    batch.setdefault(d.envelope.event_id, d.envelope.type)
            new_ids = set(
                (
                    await session.execute(
                        self._inbox_insert,
                        {
                            "consumer": self.name,
                            "event_ids": list(batch),
                            "types": list(batch.values()),
                        },
                    )
                ).scalars()
            )
            fresh: list[Decoded] = []
            for d in work:
                assert d.envelope is not None
                if d.envelope.event_id not in new_ids:
                    _child(EVENTS_CONSUMED, self.service, d.envelope.type, "duplicate").inc()
                    continue
                new_ids.discard(d.envelope.event_id)  # a duplicate inside one batch runs once
                fresh.append(d)
            for run in _runs(fresh):
                await self._handle(session, run)

    async def _handle(self, session: AsyncSession, run: Sequence[Decoded]) -> None:
        """Run one handler over a run of events: a plain handler once per event, a batch
        handler once for the whole run."""
        first = run[0]
        assert first.envelope is not None and first.handler is not None
        env, handler = first.envelope, first.handler
        structlog.contextvars.bind_contextvars(
            event_id=str(env.event_id) if len(run) == 1 else f"{len(run)} events",
            correlation_id=env.correlation_id,
            community_id=str(env.tenant.community_id) if env.tenant.community_id else None,
        )
        started = time.perf_counter()
        try:
            if isinstance(handler, BatchHandler):
                await handler.handle(session, [(d.envelope, d.payload) for d in run])  # type: ignore[misc]
            else:
                await handler(session, env, first.payload)
        except Exception:
            EVENTS_FAILED.labels(self.service, env.type).inc()
            raise
        finally:
            structlog.contextvars.unbind_contextvars("event_id", "correlation_id", "community_id")
        _child(HANDLER_LATENCY, self.service, env.type).observe(time.perf_counter() - started)
        _child(EVENTS_CONSUMED, self.service, env.type, "handled").inc(len(run))

    async def _one_with_retries(self, d: Decoded, stop: asyncio.Event) -> str | None:
        """Handle one message in its own transaction; return the error if it is poison."""
        attempts = 0
        delay = self.backoff_seconds
        while True:
            try:
                await self._transaction([d])
                return None
            except Exception as exc:
                if is_transient_infrastructure_error(exc) and not stop.is_set():
                    log.warning("consumer.infrastructure_error", error=repr(exc), retry_in=delay)
                else:
                    attempts += 1
                    log.warning(
                        "consumer.handler_failed",
                        error=repr(exc),
                        attempt=attempts,
                        event_type=d.envelope.type if d.envelope else None,
                    )
                    if attempts >= self.max_attempts or stop.is_set():
                        d.attempts = attempts
                        return _error_text(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff_max_seconds)

    async def _dead_letter(self, d: Decoded, stop: asyncio.Event) -> None:
        r = d.record
        attempts = d.attempts
        origin: list[tuple[str, bytes]] = [
            ("dlq_error", (d.error or "").encode()),
            ("dlq_origin_topic", r.topic.encode()),
            ("dlq_origin_partition", str(r.partition).encode()),
            ("dlq_origin_offset", str(r.offset).encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_attempts", str(attempts).encode()),
        ]
        headers = [h for h in (r.headers or []) if not h[0].startswith("dlq_")] + origin
        delay = self.backoff_seconds
        while True:
            try:
                await (
                    await self.producer.send(
                        self.dead_letter_topic, value=r.value, key=r.key, headers=headers
                    )
                )
                async with self.sessions() as session, session.begin():
                    await session.execute(
                        insert(self.dead_letters).values(
                            consumer=self.name,
                            topic=r.topic,
                            partition=r.partition,
                            offset=r.offset,
                            key=r.key,
                            value=r.value,
                            headers=[[k, v.decode(errors="replace")] for k, v in headers],
                            event_id=str(d.envelope.event_id) if d.envelope else None,
                            event_type=d.envelope.type if d.envelope else None,
                            error=d.error or "",
                            attempts=attempts,
                        )
                    )
                break
            except Exception as exc:
                if stop.is_set():
                    raise
                log.warning("consumer.dead_letter_failed", error=repr(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff_max_seconds)
        DEAD_LETTERS.labels(self.service).inc()
        log.error(
            "consumer.dead_lettered",
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            error=d.error,
        )
