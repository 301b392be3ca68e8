"""Transactional outbox: events are rows written in the caller's transaction.

:func:`add_event` only inserts; the caller's unit of work commits the domain change and
its events together. :class:`OutboxRelay` publishes committed rows to Kafka, keyed by
aggregate id, waits for the broker's acks and only then marks them sent, so a crash
anywhere re-publishes (consumers deduplicate) and never loses an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from sqlalchemy import Table, TextClause, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts import contract_for
from shared.db import asyncpg_dsn
from shared.envelope import EventEnvelope
from shared.log import get_logger
from shared.messaging_tables import OUTBOX_CHANNEL
from shared.metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE

log = get_logger(__name__)


def outbox_row(envelope: EventEnvelope, topic: str) -> dict[str, Any]:
    contract = contract_for(envelope.type, envelope.version)
    contract.payload.model_validate(envelope.payload)  # never publish what consumers reject
    return {
        "event_id": envelope.event_id,
        "event_type": envelope.type,
        "topic": topic,
        "key": envelope.key,
        "value": envelope.to_bytes(),
        "headers": [[k, v.decode()] for k, v in envelope.headers()],
    }


def _name(table: Table) -> str:
    quote = '"{}"'.format
    return f"{quote(table.schema)}.{quote(table.name)}" if table.schema else quote(table.name)


@lru_cache(maxsize=64)
def _relay_sql(outbox: Table) -> tuple[TextClause, TextClause]:
    """Claim a batch (row locks held until the transaction ends) and mark it sent. Plain
    SQL: the rows go straight to the producer, no per-row type processing on the way."""
    name = _name(outbox)
    claim = text(
        f"SELECT id, event_type, topic, key, value, headers::text FROM {name} "
        "WHERE sent_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
    )
    mark = text(f"UPDATE {name} SET sent_at = now() WHERE id = ANY(CAST(:ids AS bigint[]))")
    return claim, mark


@lru_cache(maxsize=64)
def _insert_sql(outbox: Table) -> TextClause:
    """One INSERT for a whole list of events: the columns travel as arrays, so the cost per
    event is asyncpg's encoding, not SQLAlchemy's per-row parameter processing."""
    return text(
        f"INSERT INTO {_name(outbox)} (event_id, event_type, topic, key, value, headers) "
        "SELECT e, t, :topic, k, v, CAST(h AS jsonb) FROM unnest("
        "CAST(:event_ids AS uuid[]), CAST(:types AS text[]), CAST(:keys AS text[]), "
        "CAST(:values AS bytea[]), CAST(:headers AS text[])) "
        # ids, and so the publishing order, follow the caller's order
        "WITH ORDINALITY AS u(e, t, k, v, h, n) ORDER BY n"
    )


async def add_events(
    session: AsyncSession, outbox: Table, topic: str, envelopes: Sequence[EventEnvelope]
) -> None:
    """Insert events into the outbox inside the session's open transaction.

    Every payload is validated against its registered contract first: what consumers
    would reject is never written."""
    if not envelopes:
        return
    event_ids: list[Any] = []
    types: list[str] = []
    keys: list[str] = []
    values: list[bytes] = []
    headers: list[str] = []
    for e in envelopes:
        contract_for(e.type, e.version).payload.model_validate(e.payload)
        event_ids.append(e.event_id)
        types.append(e.type)
        keys.append(e.key)
        values.append(e.to_bytes())
        headers.append(_headers_text(e))
    await session.execute(
        _insert_sql(outbox),
        {
            "topic": topic,
            "event_ids": event_ids,
            "types": types,
            "keys": keys,
            "values": values,
            "headers": headers,
        },
    )


def _headers_text(e: EventEnvelope) -> str:
    """``EventEnvelope.headers()`` as the JSON text of the outbox's ``headers`` column."""
    return orjson.dumps([[k, v.decode()] for k, v in e.headers()]).decode()


# Test hook type: called after the broker acknowledged a batch, before it is marked sent.
AfterPublish = Callable[[list[int]], Awaitable[None]]


class OutboxRelay:
    """Publishes committed outbox rows. Several relays may run on one outbox: each claims
    a batch with ``FOR UPDATE SKIP LOCKED`` and holds the row locks until the batch is
    acknowledged and marked, so no row is published by two relays at once."""

    def __init__(
        self,
        *,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        producer: AIOKafkaProducer,
        database_url: str,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        retention_hours: int = 72,
        after_publish: AfterPublish | None = None,
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.outbox = outbox
        self.producer = producer
        self.database_url = database_url
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention_hours = retention_hours
        self.after_publish = after_publish
        self._wake = asyncio.Event()
        self._last_cleanup = 0.0

    async def publish_batch(self) -> int:
        """Claim, publish and mark one batch; return how many rows it published."""
        claim, mark = _relay_sql(self.outbox)
        send = self.producer.send
        async with self.sessions() as session, session.begin():
            rows = (await session.execute(claim, {"limit": self.batch_size})).all()
            if not rows:
                return 0
            futures = []
            types: Counter[str] = Counter()
            for _id, event_type, topic, key, value, headers in rows:
                futures.append(
                    await send(
                        topic,
                        value=value,
                        key=key.encode(),
                        headers=[(k, v.encode()) for k, v in orjson.loads(headers)],
                    )
                )
                types[event_type] += 1
            await asyncio.gather(*futures)
            ids = [row[0] for row in rows]
            if self.after_publish is not None:
                await self.after_publish(ids)
            await session.execute(mark, {"ids": ids})
        for event_type, count in types.items():
            EVENTS_PUBLISHED.labels(self.service, event_type).inc(count)
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        listener = asyncio.create_task(self._listen(stop), name=f"{self.service}-outbox-listen")
        backoff = 0.1
        try:
            while not stop.is_set():
                try:
                    published = await self.publish_batch()
                    backoff = 0.1
                    await self._cleanup_if_due()
                except Exception as exc:  # broker or database away: keep rows, retry later
                    log.warning("outbox.publish_failed", error=repr(exc), retry_in=backoff)
                    await _sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if published < self.batch_size:
                    self._wake.clear()
                    await _wait_any(stop, self._wake, self.poll_seconds)
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)

    async def _listen(self, stop: asyncio.Event) -> None:
        """LISTEN for inserts so the relay wakes within milliseconds; polling is the fallback."""
        while not stop.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(asyncpg_dsn(self.database_url))
                await conn.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
                await stop.wait()
            except Exception as exc:
                log.warning("outbox.listen_failed", error=repr(exc))
                await _sleep_or_stop(stop, 1.0)
            finally:
                if conn is not None:
                    await conn.close(timeout=2)

    async def _cleanup_if_due(self) -> None:
        """Sent rows are kept a while for operators, then deleted."""
        now = time.monotonic()
        if now - self._last_cleanup < 300:
            return
        self._last_cleanup = now
        o = self.outbox
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(o).where(
                    o.c.sent_at < func.now() - text(f"interval '{int(self.retention_hours)} hours'")
                )
            )


async def refresh_outbox_gauges(
    service: str, sessions: async_sessionmaker[AsyncSession], outbox: Table
) -> None:
    o = outbox
    async with sessions() as session:
        count, oldest = (
            await session.execute(
                select(
                    func.count(),
                    func.extract("epoch", func.now() - func.min(o.c.created_at)),
                ).where(o.c.sent_at.is_(None))
            )
        ).one()
    OUTBOX_BACKLOG.labels(service).set(count)
    OUTBOX_OLDEST_AGE.labels(service).set(float(oldest or 0))


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


def headers_json(headers: Sequence[tuple[str, bytes]] | None) -> str:
    return orjson.dumps([[k, v.decode(errors="replace")] for k, v in headers or []]).decode()
