"""The caller's reach in the members service: which organizations and members a
principal may see or change. An id outside it answers 404 (it doesn't exist for them);
an id they can see but not change answers 403."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.organizations.models import Organization
from shared.auth.deps import forbidden
from shared.auth.principal import Principal
from shared.auth.roles import Action
from shared.auth.scope import subtree_of, visible
from shared.errors import NotFound

MEMBER_NOT_FOUND = "未找到该党员"
ORG_NOT_FOUND = "未找到该组织"


def organizations_visible(principal: Principal, action: Action) -> ColumnElement[bool]:
    return visible(principal, action, [Organization.id], Organization.id, Organization.ancestor_ids)


def members_visible(principal: Principal, action: Action) -> ColumnElement[bool]:
    """Members whose home organization or residential community is in reach — so a unit
    sees its in-service members and their community sees them too (双报到)."""
    return visible(
        principal,
        action,
        [Member.home_organization_id, Member.community_id],
        Organization.id,
        Organization.ancestor_ids,
    )


def subtree(principal: Principal, action: Action) -> Any:
    """SELECT of every organization id in reach for ``action``."""
    return subtree_of(Organization.id, Organization.ancestor_ids, principal.nodes_for(action))


async def _in_reach(session: AsyncSession, predicate: ColumnElement[bool], where: Any) -> bool:
    return bool(await session.scalar(select(select(1).where(where, predicate).exists())))


async def organization_for(
    session: AsyncSession,
    principal: Principal,
    action: Action,
    organization_id: uuid.UUID,
    *,
    message: str = ORG_NOT_FOUND,
) -> Organization:
    """The organization when ``action`` is allowed on it; 404 when it is out of the
    caller's sight, 403 when they see it but may not do this."""
    where = Organization.id == organization_id
    if not await _in_reach(session, organizations_visible(principal, action), where):
        if action is not Action.read and await _in_reach(
            session, organizations_visible(principal, Action.read), where
        ):
            raise forbidden()
        raise NotFound(message)
    organization = await session.get(Organization, organization_id)
    if organization is None:  # pragma: no cover - checked above in the same transaction
        raise NotFound(message)
    return organization


async def member_for(
    session: AsyncSession,
    principal: Principal,
    action: Action,
    member_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Member:
    """The member when ``action`` is allowed on them (a member may always read their own
    record); 404 when out of sight, 403 when visible but not changeable."""
    where = Member.id == member_id
    if action is Action.read and principal.member_id == member_id:
        member = await session.get(Member, member_id)
        if member is None:
            raise NotFound(MEMBER_NOT_FOUND)
        return member
    if not await _in_reach(session, members_visible(principal, action), where):
        if action is not Action.read and await _in_reach(
            session, members_visible(principal, Action.read), where
        ):
            raise forbidden()
        raise NotFound(MEMBER_NOT_FOUND)
    member = await session.get(Member, member_id, with_for_update=for_update)
    if member is None:  # pragma: no cover - checked above in the same transaction
        raise NotFound(MEMBER_NOT_FOUND)
    return member
