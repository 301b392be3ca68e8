"""Creating accounts and granting roles, within the granting admin's reach.
Services flush; the caller commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.access import member_for, members_visible, subtree
from services.members.accounts.models import Account, AccountGrant
from services.members.accounts.passwords import hash_password
from services.members.accounts.schemas import AccountCreate, GrantCreate
from services.members.accounts.service import account_out, live_grants, revoke_all
from services.members.models import Member
from services.members.organizations.models import Organization
from services.members.policy import NODE_KINDS, Action
from services.members.registry.service import member_anchors
from shared.audit import anchors
from shared.auth.deps import forbidden
from shared.auth.principal import Principal
from shared.auth.roles import RANK, Role
from shared.db import uuid_array
from shared.errors import AppError, NotFound, invalid
from shared.paging import decode_cursor, page_of
from shared.writes import WriteContext

ACCOUNT_NOT_FOUND = "未找到该账号"


def _rank_on(principal: Principal, node: Organization) -> int:
    """The highest rank the principal holds over ``node`` (its own grants on the node or
    an ancestor)."""
    path = {node.id, *node.ancestor_ids}
    return max(
        (RANK[g.role] for g in principal.grants if g.node_id in path and g.role is not Role.member),
        default=-1,
    )


async def check_grant(session: AsyncSession, principal: Principal, data: GrantCreate) -> None:
    if data.role in (Role.operations, Role.member):
        raise forbidden("运维角色只能由平台运维用命令行授予；党员本人账号请在创建账号时关联党员")
    if data.node_id is None:
        raise invalid("node_id", "请指定角色所管辖的组织")
    node = await session.get(Organization, data.node_id)
    in_reach = await session.scalar(
        select(Organization.id).where(
            Organization.id == data.node_id,
            Organization.id.in_(subtree(principal, Action.manage_accounts)),
        )
    )
    if node is None or in_reach is None:
        raise NotFound("未找到该组织")
    if node.kind not in NODE_KINDS[data.role]:
        raise invalid("role", f"该角色不能授予在「{node.name}」这一级组织上")
    if node.status != "active":
        raise AppError(409, "organization_inactive", "该组织已撤销，不能授予角色")
    if RANK[data.role] > _rank_on(principal, node):
        raise forbidden("不能授予高于自己的角色")


def _snapshot(grant: AccountGrant) -> dict[str, Any]:
    return {
        "account_id": str(grant.account_id),
        "role": grant.role,
        "node_id": str(grant.node_id) if grant.node_id else None,
        "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
    }


async def add_grant(
    session: AsyncSession,
    principal: Principal,
    account_id: uuid.UUID,
    data: GrantCreate,
    ctx: WriteContext,
) -> AccountGrant:
    await check_grant(session, principal, data)
    grant = AccountGrant(
        account_id=account_id,
        role=data.role.value,
        node_id=data.node_id,
        created_by=principal.actor,
    )
    session.add(grant)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise AppError(409, "grant_exists", "该账号已有这一角色") from None
    await ctx.record(
        session,
        entity_type="grant",
        entity_id=grant.id,
        action="granted",
        before=None,
        after=_snapshot(grant),
        organization_ids=anchors(grant.node_id),
    )
    return grant


async def revoke_grant(
    session: AsyncSession,
    principal: Principal,
    account_id: uuid.UUID,
    grant_id: uuid.UUID,
    ctx: WriteContext,
) -> None:
    grant = await session.get(AccountGrant, grant_id, with_for_update=True)
    if grant is None or grant.account_id != account_id or grant.revoked_at is not None:
        raise NotFound("未找到该授权")
    await check_grant(session, principal, GrantCreate(role=Role(grant.role), node_id=grant.node_id))
    before = _snapshot(grant)
    grant.revoked_at, grant.revoked_by = datetime.now(UTC), principal.actor
    await session.flush()
    await ctx.record(
        session,
        entity_type="grant",
        entity_id=grant.id,
        action="revoked",
        before=before,
        after=_snapshot(grant),
        organization_ids=anchors(grant.node_id),
    )


async def _account_anchors(session: AsyncSession, account: Account) -> list[uuid.UUID]:
    """Where an account write is read in the audit log: the nodes of its grants at the
    time and, for a member's own account, the member's home organization and community."""
    nodes = [g.node_id for g in await live_grants(session, account.id)]
    member = await session.get(Member, account.member_id) if account.member_id else None
    return anchors(*nodes, *(member_anchors(member) if member is not None else []))


def _outranked(principal: Principal) -> ColumnElement[bool]:
    """A live grant (joined with its node as ``Organization``) that the caller outranks:
    the caller holds an account-managing grant on the grant's node or an ancestor, with a
    rank strictly above the grant's role. A platform-wide grant (operations, no node) is
    outranked by nobody."""
    terms = [
        and_(
            or_(
                Organization.id == held.node_id,
                Organization.ancestor_ids.op("@>")(uuid_array([held.node_id])),
            ),
            AccountGrant.role.in_([r.value for r in Role if RANK[r] < RANK[held.role]]),
        )
        for held in principal.grants
        if held.node_id is not None and held.role in Action.manage_accounts.roles
    ]
    return or_(false(), *terms)


def accounts_in_charge(principal: Principal) -> ColumnElement[bool]:
    """The accounts the caller may see and act on (reset a password, grant, revoke,
    disable): the caller outranks **every** live grant the account holds and has the
    account's member (if any) in reach. One grant in reach is never enough: an account
    that also holds a grant higher up, or elsewhere, belongs to whoever outranks all of
    it (an account with neither grants nor member is nobody's but the operators')."""
    not_outranked = (
        select(AccountGrant.id)
        .outerjoin(Organization, Organization.id == AccountGrant.node_id)
        .where(
            AccountGrant.account_id == Account.id,
            AccountGrant.revoked_at.is_(None),
            # NULL (a grant without a node) counts as not outranked.
            not_(func.coalesce(_outranked(principal), false())),
        )
    )
    any_grant = select(AccountGrant.id).where(
        AccountGrant.account_id == Account.id, AccountGrant.revoked_at.is_(None)
    )
    members = select(Member.id).where(members_visible(principal, Action.manage_accounts))
    member_ok = or_(Account.member_id.is_(None), Account.member_id.in_(members))
    return and_(
        or_(Account.member_id.is_not(None), exists(any_grant)),
        member_ok,
        not_(exists(not_outranked)),
    )


async def list_accounts(
    session: AsyncSession,
    principal: Principal,
    *,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Account], str | None]:
    """The accounts the caller is in charge of, by username, a page at a time; ``q``
    matches the start of the username or part of the name."""
    query = select(Account).where(accounts_in_charge(principal))
    if q:
        query = query.where(
            or_(
                Account.username.startswith(q.lower(), autoescape=True),
                Account.display_name.contains(q, autoescape=True),
            )
        )
    if cursor:
        (after,) = decode_cursor(cursor, str)
        query = query.where(Account.username > after)
    rows = list((await session.scalars(query.order_by(Account.username).limit(limit + 1))).all())
    return page_of(rows, limit, lambda a: (a.username,))


async def account_for(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID, *, for_update: bool = False
) -> Account:
    """The account if the caller is in charge of it; 404 otherwise, exactly as for an
    account that does not exist (an account out of charge is not to be seen)."""
    query = select(Account).where(Account.id == account_id, accounts_in_charge(principal))
    account = await session.scalar(query.with_for_update(of=Account) if for_update else query)
    if account is None:
        raise NotFound(ACCOUNT_NOT_FOUND)
    return account


async def create_account(
    session: AsyncSession,
    principal: Principal,
    data: AccountCreate,
    grants: list[GrantCreate],
    ctx: WriteContext,
) -> Account:
    if data.member_id is None and not grants:
        raise invalid("grants", "员工账号至少需要一个角色；党员本人账号请填写 member_id")
    if data.member_id is not None:
        await member_for(session, principal, Action.manage_accounts, data.member_id)
    for grant in grants:
        await check_grant(session, principal, grant)
    if await session.scalar(select(Account.id).where(Account.username == data.username)):
        raise AppError(409, "username_taken", "该登录名已被使用，请换一个")
    if data.member_id and await session.scalar(
        select(Account.id).where(Account.member_id == data.member_id)
    ):
        raise AppError(409, "member_has_account", "该党员已有账号")
    account = Account(
        id=uuid.uuid4(),
        username=data.username,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        member_id=data.member_id,
        status="active",
    )
    session.add(account)
    await session.flush()
    for grant in grants:
        await add_grant(session, principal, account.id, grant, ctx)
    await ctx.record(
        session,
        entity_type="account",
        entity_id=account.id,
        action="created",
        before=None,
        after=(await account_out(session, account)).model_dump(mode="json"),
        organization_ids=await _account_anchors(session, account),
    )
    return account


async def reset_password(
    session: AsyncSession,
    principal: Principal,
    account_id: uuid.UUID,
    password: str,
    ctx: WriteContext,
) -> None:
    account = await account_for(session, principal, account_id, for_update=True)
    account.password_hash = hash_password(password)
    account.version += 1
    await revoke_all(session, account.id)
    await ctx.record(
        session,
        entity_type="account",
        entity_id=account.id,
        action="password_reset",
        before=None,
        after={"username": account.username},
        organization_ids=await _account_anchors(session, account),
    )


async def set_status(
    session: AsyncSession,
    principal: Principal,
    account_id: uuid.UUID,
    status: str,
    ctx: WriteContext,
) -> Account:
    """Disable (``disabled``) or enable (``active``) an account; disabling ends every
    sign-in at once (refresh tokens revoked; access tokens lapse within minutes)."""
    account = await account_for(session, principal, account_id, for_update=True)
    if account.status == status:
        return account
    before = {"status": account.status}
    account.status = status
    account.version += 1
    if status != "active":
        await revoke_all(session, account.id)
    await session.flush()
    await ctx.record(
        session,
        entity_type="account",
        entity_id=account.id,
        action="enabled" if status == "active" else "disabled",
        before=before,
        after={"status": status},
        organization_ids=await _account_anchors(session, account),
    )
    return account
