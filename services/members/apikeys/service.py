"""Creating, listing, revoking and resolving unit systems' API keys."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import organization_for
from services.members.apikeys.models import ApiKey
from services.members.organizations.models import Organization
from services.members.policy import KEY_ACTIONS, Action
from shared.auth.deps import API_KEY_PREFIX
from shared.auth.principal import Grant, Principal
from shared.auth.roles import Role
from shared.errors import NotFound, invalid
from shared.paging import decode_cursor, page_of
from shared.writes import WriteContext


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def unit_for_keys(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID
) -> Organization:
    """The unit when the caller may manage its keys: an admin of the unit, of the
    district or street above it, or of a community the unit co-builds with."""
    unit = await session.get(Organization, unit_id)
    if unit is None:
        raise NotFound("未找到该单位党组织")
    co_building = any(
        principal.has_role_on(Role.community_admin, c) for c in unit.co_building_community_ids or []
    )
    if not co_building:
        unit = await organization_for(
            session, principal, Action.manage_keys, unit_id, message="未找到该单位党组织"
        )
    if unit.kind != "unit":
        raise invalid("unit_id", "只有单位党组织可以申请 API 密钥")
    return unit


def _snapshot(key: ApiKey) -> dict[str, Any]:
    return {
        "unit_id": str(key.unit_id),
        "name": key.name,
        "prefix": key.prefix,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


async def create_key(
    session: AsyncSession,
    principal: Principal,
    unit: Organization,
    name: str,
    ctx: WriteContext,
) -> tuple[ApiKey, str]:
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=uuid.uuid4(),
        unit_id=unit.id,
        name=name,
        prefix=secret[:12],
        secret_hash=_hash(secret),
        created_by=principal.actor,
    )
    session.add(key)
    await session.flush()
    await ctx.record(
        session,
        entity_type="api_key",
        entity_id=key.id,
        action="created",
        before=None,
        after=_snapshot(key),
        organization_ids=[unit.id],
        district_id=unit.district_id,
    )
    return key, secret


async def list_keys(
    session: AsyncSession, unit: Organization, cursor: str | None, limit: int
) -> tuple[list[ApiKey], str | None]:
    """The unit's keys, oldest first, a page at a time."""
    query = select(ApiKey).where(ApiKey.unit_id == unit.id)
    if cursor:
        created_at, key_id = decode_cursor(cursor, datetime, uuid.UUID)
        query = query.where(tuple_(ApiKey.created_at, ApiKey.id) > tuple_(created_at, key_id))
    query = query.order_by(ApiKey.created_at, ApiKey.id).limit(limit + 1)
    rows = list((await session.scalars(query)).all())
    return page_of(rows, limit, lambda k: (k.created_at, k.id))


async def revoke_key(
    session: AsyncSession,
    principal: Principal,
    unit: Organization,
    key_id: uuid.UUID,
    ctx: WriteContext,
) -> ApiKey:
    key = await session.get(ApiKey, key_id, with_for_update=True)
    if key is None or key.unit_id != unit.id:
        raise NotFound("未找到该 API 密钥")
    if key.revoked_at is None:
        before = _snapshot(key)
        key.revoked_at, key.revoked_by = datetime.now(UTC), principal.actor
        await session.flush()
        await ctx.record(
            session,
            entity_type="api_key",
            entity_id=key.id,
            action="revoked",
            before=before,
            after=_snapshot(key),
            organization_ids=[unit.id],
            district_id=unit.district_id,
        )
    return key


async def resolve(request: Request, secret: str) -> Principal | None:
    """The principal of a live key (``app.state.api_key_resolver``); records its use."""
    runtime = request.app.state.runtime
    async with runtime.sessions() as session, session.begin():
        key = await session.scalar(
            update(ApiKey)
            .where(ApiKey.secret_hash == _hash(secret), ApiKey.revoked_at.is_(None))
            .values(last_used_at=datetime.now(UTC))
            .returning(ApiKey)
        )
        if key is None:
            return None
        return Principal(
            kind="api_key",
            subject=key.id,
            name=key.name,
            grants=(Grant(Role.unit_admin, key.unit_id),),
            only=KEY_ACTIONS,
        )
