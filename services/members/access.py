"""The caller's reach in the members service: which organizations and members a
principal may see or change (``shared.auth.scope`` over this service's own tables). An
id outside it answers 404 (it doesn't exist for them); an id they can see but not change
answers 403."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.policy import Action
from shared.auth.principal import Principal
from shared.auth.roles import Permission
from shared.auth.scope import Reach, find_in_reach, subtree_of
from shared.errors import NotFound

MEMBER_NOT_FOUND = "未找到该党员"
ORG_NOT_FOUND = "未找到该组织"

ORGANIZATIONS = Reach([Organization.id], Organization.id, Organization.ancestor_ids)
# Members are reached through their home organization or residential community — so a
# unit sees its in-service members and their community sees them too (双报到).
MEMBERS = Reach(
    [Member.home_organization_id, Member.community_id], Organization.id, Organization.ancestor_ids
)


def organizations_visible(principal: Principal, action: Permission) -> ColumnElement[bool]:
    return ORGANIZATIONS.visible(principal, action)


def members_visible(principal: Principal, action: Permission) -> ColumnElement[bool]:
    return MEMBERS.visible(principal, action)


def subtree(principal: Principal, action: Permission) -> Any:
    """SELECT of every organization id in reach for ``action``."""
    return subtree_of(Organization.id, Organization.ancestor_ids, principal.nodes_for(action))


async def organization_for(
    session: AsyncSession,
    principal: Principal,
    action: Permission,
    organization_id: uuid.UUID,
    *,
    message: str = ORG_NOT_FOUND,
) -> Organization:
    """The organization when ``action`` is allowed on it; 404 when it is out of the
    caller's sight, 403 when they see it but may not do this."""
    organization: Organization = await find_in_reach(
        session,
        Organization,
        Organization.id == organization_id,
        principal,
        action,
        ORGANIZATIONS,
        read=Action.read,
        not_found=message,
    )
    return organization


async def member_for(
    session: AsyncSession,
    principal: Principal,
    action: Permission,
    member_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Member:
    """The member when ``action`` is allowed on them (a member may always read their own
    record); 404 when out of sight, 403 when visible but not changeable."""
    if action == Action.read and principal.member_id == member_id:
        own = await session.get(Member, member_id)
        if own is None:
            raise NotFound(MEMBER_NOT_FOUND)
        return own
    member: Member = await find_in_reach(
        session,
        Member,
        Member.id == member_id,
        principal,
        action,
        MEMBERS,
        read=Action.read,
        not_found=MEMBER_NOT_FOUND,
        for_update=for_update,
    )
    return member
