"""What only the operators do, from the command line: create a district and the first
accounts (a district admin, the operations team). Idempotent, so a script may run it
on every deploy. Everything after that is done through the API by the admins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.accounts.models import Account, AccountGrant
from services.members.accounts.passwords import hash_password, password_problem
from services.members.organizations.models import Organization
from services.members.organizations.schemas import OrganizationCreate
from services.members.organizations.service import create_organization
from services.members.policy import NODE_KINDS
from shared.audit import anchors
from shared.auth.roles import Role
from shared.errors import AppError, invalid
from shared.writes import WriteContext


async def ensure_district(session: AsyncSession, name: str, ctx: WriteContext) -> Organization:
    found = await session.scalar(
        select(Organization).where(
            Organization.kind == "district",
            Organization.name == name,
            Organization.status == "active",
        )
    )
    if found is not None:
        return found
    data = OrganizationCreate.model_validate({"kind": "district", "name": name})
    return await create_organization(session, data, ctx)


@dataclass(frozen=True)
class Ensured:
    account: Account
    created: bool


async def ensure_account(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    node_id: uuid.UUID | None,
    ctx: WriteContext,
) -> Ensured:
    """The account with this username holding ``role`` on ``node_id`` (created or granted
    when missing; an existing password is left alone)."""
    username = username.strip().lower()
    if role is Role.operations:
        node_id = None
    else:
        node = await session.get(Organization, node_id) if node_id else None
        if node is None:
            raise invalid("node", "请用 --node 指定角色所管辖的组织 id")
        if role in NODE_KINDS and node.kind not in NODE_KINDS[role]:
            raise invalid("role", f"该角色不能授予在「{node.name}」这一级组织上")
    account = await session.scalar(select(Account).where(Account.username == username))
    created = account is None
    if account is None:
        problem = password_problem(password)
        if problem:
            raise AppError(422, "weak_password", problem)
        account = Account(
            id=uuid.uuid4(),
            username=username,
            display_name=display_name,
            password_hash=hash_password(password),
            status="active",
        )
        session.add(account)
        await session.flush()
        await ctx.record(
            session,
            entity_type="account",
            entity_id=account.id,
            action="created",
            before=None,
            after={"username": username, "display_name": display_name},
            # Created to hold the grant below: read where that grant is.
            organization_ids=anchors(node_id),
        )
    held = await session.scalar(
        select(AccountGrant.id).where(
            AccountGrant.account_id == account.id,
            AccountGrant.role == role.value,
            AccountGrant.node_id.is_(None) if node_id is None else AccountGrant.node_id == node_id,
            AccountGrant.revoked_at.is_(None),
        )
    )
    if held is None:
        grant = AccountGrant(
            account_id=account.id, role=role.value, node_id=node_id, created_by=ctx.actor
        )
        session.add(grant)
        await session.flush()
        await ctx.record(
            session,
            entity_type="grant",
            entity_id=grant.id,
            action="granted",
            before=None,
            after={
                "account_id": str(account.id),
                "role": role.value,
                "node_id": str(node_id) if node_id else None,
            },
            organization_ids=anchors(node_id),
        )
    return Ensured(account, created)
