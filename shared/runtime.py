"""A service at run time: engine, producer, outbox relay and consumer, wired once.

Every service describes itself with a :class:`ServiceSpec` (its tables, routers and
handler table); :class:`ServiceRuntime` starts and stops the moving parts;
``shared.app.create_service_app`` wraps them in a FastAPI app.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import APIRouter, Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.consumer import ConsumerRunner, HandlerEntry
from shared.db import create_engine, session_factory
from shared.kafka import ensure_topics, make_consumer, make_producer
from shared.log import get_logger
from shared.messaging_tables import MessagingTables
from shared.outbox import OutboxRelay
from shared.settings import ServiceSettings

log = get_logger(__name__)

Mode = Literal["api", "worker", "all"]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    metadata: MetaData
    tables: MessagingTables
    routers: Sequence[APIRouter] = ()
    handlers: Mapping[str, HandlerEntry] = field(default_factory=dict)
    consumes: Sequence[str] = ()  # names of the producing services whose topics it reads
    audit: type[Any] | None = None  # the service's audit table (``shared.audit.AuditColumns``)


class ServiceRuntime:
    def __init__(self, spec: ServiceSpec, settings: ServiceSettings) -> None:
        self.spec = spec
        self.settings = settings
        self.engine: AsyncEngine = create_engine(settings.database_url, settings.database_pool_size)
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.producer: AIOKafkaProducer | None = None
        self.consumer: AIOKafkaConsumer | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def own_topic(self) -> str:
        return self.settings.topic(self.spec.name)

    @property
    def consumed_topics(self) -> list[str]:
        return [self.settings.topic(p) for p in self.spec.consumes]

    async def start(self, mode: Mode = "all") -> None:
        s = self.settings
        await ensure_topics(s, [self.own_topic, *self.consumed_topics, s.dead_letter_topic])
        self.producer = make_producer(s)
        await self.producer.start()
        if mode in ("worker", "all"):
            relay = OutboxRelay(
                service=self.spec.name,
                sessions=self.sessions,
                outbox=self.spec.tables.outbox,
                producer=self.producer,
                database_url=s.database_url,
                batch_size=s.outbox_batch_size,
                poll_seconds=s.outbox_poll_seconds,
                retention_hours=s.outbox_retention_hours,
            )
            self._supervise("outbox-relay", relay.run)
            if self.spec.handlers and self.consumed_topics:
                self.consumer = make_consumer(s, self.consumed_topics)
                await self.consumer.start()
                runner = ConsumerRunner(
                    service=self.spec.name,
                    consumer_name=s.consumer_group,
                    consumer=self.consumer,
                    producer=self.producer,
                    sessions=self.sessions,
                    inbox=self.spec.tables.inbox,
                    dead_letters=self.spec.tables.dead_letters,
                    dead_letter_topic=s.dead_letter_topic,
                    handlers=self.spec.handlers,
                    max_attempts=s.consumer_max_attempts,
                    backoff_seconds=s.consumer_backoff_seconds,
                    backoff_max_seconds=s.consumer_backoff_max_seconds,
                )
                self._supervise("consumer", runner.run)
        log.info("service.started", mode=mode, topics=self.consumed_topics)

    def _supervise(self, name: str, loop: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        """Run a background loop; if it crashes, log and restart it after a pause."""

        async def guarded() -> None:
            while not self._stop.is_set():
                try:
                    await loop(self._stop)
                except Exception:
                    log.exception("service.loop_crashed", loop=name)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), 2.0)

        self._tasks.append(asyncio.create_task(guarded(), name=f"{self.spec.name}-{name}"))

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=15)
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.consumer is not None:
            await self.consumer.stop()  # leaves the group; uncommitted offsets are redelivered
        if self.producer is not None:
            await self.producer.stop()  # flushes what is in flight
        await self.engine.dispose()
        log.info("service.stopped")

    async def check_database(self) -> None:
        async with self.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 2.0)

    async def check_broker(self) -> None:
        if self.producer is None:
            raise RuntimeError("producer not started")
        await asyncio.wait_for(self.producer.client.fetch_all_metadata(), 2.0)


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit when the endpoint returns, else roll back."""
    async with runtime.sessions() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
