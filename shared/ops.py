"""Operator endpoints every service serves: probes, metrics and dead letters."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth.deps import OPEN, BearerToken, allow, person, require
from shared.auth.roles import OPERATE
from shared.errors import AppError, NotFound, error_response
from shared.log import get_logger
from shared.messaging_tables import MessagingTables
from shared.metrics import DEAD_LETTERS_PENDING
from shared.outbox import refresh_outbox_gauges
from shared.paging import CURSOR, LIMIT, Page, decode_cursor, page_of
from shared.runtime import RuntimeDep

log = get_logger(__name__)
ops_router = APIRouter(tags=["运维"])
# Dead letters and metrics are for the operations role only.
operations = require(OPERATE)
OperationsDep = Annotated[object, Depends(operations)]


async def metrics_access(request: Request, token: BearerToken) -> None:
    """Prometheus may scrape with the configured ``metrics_token``; anyone else needs an
    operations account's access token."""
    secret = request.app.state.settings.metrics_secret()
    header = request.headers.get("authorization", "")
    if secret is not None and hmac.compare_digest(header.encode(), f"Bearer {secret}".encode()):
        return
    allow(await person(request, token), OPERATE)


@ops_router.get("/livez", summary="进程存活", openapi_extra=OPEN)
async def livez() -> dict[str, str]:
    return {"status": "ok"}


@ops_router.get("/readyz", summary="数据库与消息代理可用", response_model=None, openapi_extra=OPEN)
async def readyz(runtime: RuntimeDep) -> dict[str, object] | Response:
    checks: dict[str, str] = {}
    for name, check in (("database", runtime.check_database), ("broker", runtime.check_broker)):
        try:
            await check()
            checks[name] = "ok"
        except Exception as exc:
            log.warning("readyz.check_failed", check=name, error=repr(exc))
            checks[name] = "unavailable"
    if all(v == "ok" for v in checks.values()):
        return {"status": "ok", "checks": checks}
    return error_response(503, "not_ready", f"服务未就绪：{checks}")


@ops_router.get("/metrics", summary="Prometheus 指标", dependencies=[Depends(metrics_access)])
async def metrics(runtime: RuntimeDep) -> Response:
    tables = runtime.spec.tables
    try:
        await refresh_outbox_gauges(runtime.spec.name, runtime.sessions, tables.outbox)
        await _refresh_dead_letter_gauge(runtime.spec.name, runtime.sessions, tables)
    except Exception as exc:  # metrics still answer while the database is away
        log.warning("metrics.refresh_failed", error=repr(exc))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _refresh_dead_letter_gauge(
    service: str, sessions: async_sessionmaker[AsyncSession], tables: MessagingTables
) -> None:
    d = tables.dead_letters
    async with sessions() as session:
        pending = await session.scalar(
            select(func.count()).select_from(d).where(d.c.replayed_at.is_(None))
        )
    DEAD_LETTERS_PENDING.labels(service).set(pending or 0)


class DeadLetterOut(BaseModel):
    id: int
    consumer: str
    topic: str
    partition: int
    offset: int
    event_id: str | None
    event_type: str | None
    error: str
    attempts: int
    failed_at: datetime
    replayed_at: datetime | None


@ops_router.get(
    "/ops/dead-letters", summary="列出死信消息（最早的在前）", response_model=Page[DeadLetterOut]
)
async def list_dead_letters(
    runtime: RuntimeDep,
    _: OperationsDep,
    pending_only: bool = Query(True, description="只列出尚未重放的"),
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> Page[DeadLetterOut]:
    d = runtime.spec.tables.dead_letters
    query = select(d).order_by(d.c.id).limit(limit + 1)
    if pending_only:
        query = query.where(d.c.replayed_at.is_(None))
    if cursor:
        (after,) = decode_cursor(cursor, int)
        query = query.where(d.c.id > after)
    async with runtime.sessions() as session:
        result = (await session.execute(query)).mappings()
        rows = [DeadLetterOut.model_validate(dict(r)) for r in result]
    items, next_cursor = page_of(rows, limit, lambda r: (r.id,))
    return Page(items=items, next_cursor=next_cursor)


@ops_router.post(
    "/ops/dead-letters/{dead_letter_id}/replay",
    summary="把死信消息重新发回原主题",
    response_model=DeadLetterOut,
)
async def replay_dead_letter(
    dead_letter_id: Annotated[int, Path(ge=1, le=2**63 - 1)],  # bigint: larger is a 422
    runtime: RuntimeDep,
    _: OperationsDep,
) -> DeadLetterOut:
    """Republish the original message to its origin topic. Every consumer of that topic
    sees it again; those that had already handled it skip it through their inbox."""
    d = runtime.spec.tables.dead_letters
    if runtime.producer is None:
        raise AppError(503, "broker_unavailable", "消息代理不可用，稍后再试")
    async with runtime.sessions() as session, session.begin():
        row = (
            (await session.execute(select(d).where(d.c.id == dead_letter_id).with_for_update()))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound("未找到该死信消息")
        if row["replayed_at"] is not None:
            raise AppError(409, "already_replayed", "该死信消息已经重放过")
        headers = [(k, v.encode()) for k, v in row["headers"] if not k.startswith("dlq_")]
        headers.append(("dlq_replayed_from", str(row["id"]).encode()))
        await (
            await runtime.producer.send(
                row["topic"], value=row["value"], key=row["key"], headers=headers
            )
        )
        updated = (
            (
                await session.execute(
                    update(d)
                    .where(d.c.id == dead_letter_id)
                    .values(replayed_at=func.now())
                    .returning(d)
                )
            )
            .mappings()
            .one()
        )
    log.info("ops.dead_letter_replayed", dead_letter_id=dead_letter_id, topic=row["topic"])
    return DeadLetterOut.model_validate(dict(updated))
