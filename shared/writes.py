"""One write path for every service: a write context carries who acts, which request the
write belongs to, and where its events and audit entries go; the entrypoint (a route, a
consumer, a command-line tool) makes it once and hands it down.

    ctx.envelope(contract, payload, key=...)      the event, its producer from the contract
    await ctx.publish(session, contract, payload, key=...)   into the outbox, same transaction
    await ctx.record(session, entity_type=..., ...)          an audit entry, same transaction

Routes take it as ``ctx: WriteDep``; command-line tools build it with
:func:`write_context`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.auth.deps import authenticate
from shared.auth.principal import Principal
from shared.contracts import Contract
from shared.envelope import EventEnvelope, Tenant
from shared.outbox import add_events
from shared.runtime import RuntimeDep, ServiceSpec
from shared.settings import ServiceSettings
from shared.web import CorrelationIdDep


@dataclass(frozen=True)
class WriteContext:
    """Who writes (``actor``; ``principal`` when a person or unit system called), the
    request it belongs to, and the service's topic, outbox and audit table."""

    topic: str
    outbox: Table
    audit_model: type[audit.AuditColumns] | None = None
    actor: str | None = None
    correlation_id: str | None = None
    principal: Principal | None = None

    def envelope(
        self,
        contract: Contract,
        payload: BaseModel,
        *,
        key: uuid.UUID | str,
        district_id: uuid.UUID | None = None,
        community_id: uuid.UUID | None = None,
    ) -> EventEnvelope:
        """The event of ``contract`` (its type, version and producer), keyed by the
        aggregate id ``key`` so one aggregate's events stay in order."""
        return EventEnvelope(
            type=contract.event_type,
            version=contract.version,
            producer=contract.producer,
            tenant=Tenant(district_id=district_id, community_id=community_id),
            key=str(key),
            correlation_id=self.correlation_id,
            actor=self.actor,
            payload=payload.model_dump(mode="json"),
        )

    async def publish(
        self,
        session: AsyncSession,
        contract: Contract,
        payload: BaseModel,
        *,
        key: uuid.UUID | str,
        district_id: uuid.UUID | None = None,
        community_id: uuid.UUID | None = None,
    ) -> None:
        """One event into the outbox, in the session's transaction."""
        event = self.envelope(
            contract, payload, key=key, district_id=district_id, community_id=community_id
        )
        await self.publish_all(session, [event])

    async def publish_all(self, session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
        await add_events(session, self.outbox, self.topic, events)

    async def record(
        self,
        session: AsyncSession,
        *,
        entity_type: str,
        entity_id: uuid.UUID,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        organization_ids: Iterable[uuid.UUID] = (),
        district_id: uuid.UUID | None = None,
        community_id: uuid.UUID | None = None,
    ) -> None:
        """An audit entry by this context's actor, in the session's transaction."""
        if self.audit_model is None:
            raise RuntimeError("this service keeps no audit log")
        await audit.record(
            session,
            self.audit_model,
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            actor=self.actor,
            before=before,
            after=after,
            organization_ids=organization_ids,
            district_id=district_id,
            community_id=community_id,
            correlation_id=self.correlation_id,
        )


def write_context(
    spec: ServiceSpec,
    settings: ServiceSettings,
    *,
    actor: str,
    principal: Principal | None = None,
    correlation_id: str | None = None,
) -> WriteContext:
    """For the operators' command-line tools and other entrypoints without a request."""
    return WriteContext(
        topic=settings.topic(spec.name),
        outbox=spec.tables.outbox,
        audit_model=spec.audit,
        actor=actor,
        correlation_id=correlation_id,
        principal=principal,
    )


async def request_write_context(
    request: Request, runtime: RuntimeDep, correlation_id: CorrelationIdDep
) -> WriteContext:
    """The caller of the request (authenticated by the route's own access dependency,
    which declares the route's security) writes."""
    principal = await authenticate(request)
    return write_context(
        runtime.spec,
        runtime.settings,
        actor=principal.actor,
        principal=principal,
        correlation_id=correlation_id,
    )


WriteDep = Annotated[WriteContext, Depends(request_write_context)]
