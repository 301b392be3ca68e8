"""Signing in, refreshing and revoking tokens; accounts and their grants.
Services flush; the caller commits."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.accounts.models import Account, AccountGrant, RefreshToken
from services.members.accounts.passwords import verify_password
from services.members.accounts.schemas import AccountOut, GrantOut, TokenPair
from services.members.models import Member
from shared.auth.deps import unauthenticated
from shared.auth.principal import Grant
from shared.auth.roles import Role
from shared.auth.tokens import TokenSigner
from shared.contracts.vocabulary import LIVE_STATUSES

BAD_CREDENTIALS = "用户名或密码不正确"


@dataclass(frozen=True)
class TokenPolicy:
    signer: TokenSigner
    refresh_ttl: timedelta


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def live_grants(session: AsyncSession, account_id: uuid.UUID) -> list[AccountGrant]:
    query = (
        select(AccountGrant)
        .where(AccountGrant.account_id == account_id, AccountGrant.revoked_at.is_(None))
        .order_by(AccountGrant.created_at)
    )
    return list((await session.scalars(query)).all())


async def account_out(session: AsyncSession, account: Account) -> AccountOut:
    (out,) = await accounts_out(session, [account])
    return out


async def accounts_out(session: AsyncSession, accounts: Sequence[Account]) -> list[AccountOut]:
    """Accounts with their live grants (one query for all of them)."""
    query = (
        select(AccountGrant)
        .where(
            AccountGrant.account_id.in_([a.id for a in accounts]),
            AccountGrant.revoked_at.is_(None),
        )
        .order_by(AccountGrant.created_at, AccountGrant.id)
    )
    grants: dict[uuid.UUID, list[GrantOut]] = {a.id: [] for a in accounts}
    for grant in await session.scalars(query):
        grants[grant.account_id].append(GrantOut.model_validate(grant))
    return [
        AccountOut(
            id=a.id,
            username=a.username,
            display_name=a.display_name,
            member_id=a.member_id,
            status=a.status,
            grants=grants[a.id],
        )
        for a in accounts
    ]


async def _usable(session: AsyncSession, account: Account) -> bool:
    if account.status != "active":
        return False
    if account.member_id is not None:
        status = await session.scalar(select(Member.status).where(Member.id == account.member_id))
        if status not in LIVE_STATUSES and not await live_grants(session, account.id):
            return False
    return True


async def _issue(session: AsyncSession, account: Account, policy: TokenPolicy) -> TokenPair:
    grants = await live_grants(session, account.id)
    access, _ = policy.signer.issue(
        account_id=account.id,
        name=account.display_name,
        grants=[Grant(Role(g.role), g.node_id) for g in grants],
        member_id=account.member_id,
    )
    refresh = "gjr_" + secrets.token_urlsafe(32)
    refresh_expires = datetime.now(UTC) + policy.refresh_ttl
    session.add(
        RefreshToken(
            account_id=account.id, token_hash=token_hash(refresh), expires_at=refresh_expires
        )
    )
    await session.flush()
    return TokenPair(
        access_token=access,
        expires_in=int(policy.signer.ttl.total_seconds()),
        refresh_token=refresh,
        refresh_expires_at=refresh_expires,
        account=await account_out(session, account),
    )


async def sign_in(
    session: AsyncSession, username: str, password: str, policy: TokenPolicy
) -> TokenPair | None:
    """Tokens for a correct username and password; None when they are wrong."""
    account = await session.scalar(select(Account).where(Account.username == username))
    if not verify_password(account.password_hash if account else None, password):
        return None
    assert account is not None
    if not await _usable(session, account):
        raise unauthenticated("账号已停用，请联系管理员")
    return await _issue(session, account, policy)


async def refresh(session: AsyncSession, token: str, policy: TokenPolicy) -> TokenPair:
    """Rotate a refresh token. A token presented after it was rotated or revoked was
    copied: every refresh token of that account is revoked."""
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)).with_for_update()
    )
    now = datetime.now(UTC)
    if stored is None or stored.expires_at <= now:
        raise unauthenticated("登录已过期，请重新登录")
    if stored.revoked_at is not None:
        await revoke_all(session, stored.account_id)
        await session.commit()  # the revocation stands although the request fails
        raise unauthenticated("登录已失效，请重新登录")
    account = await session.get(Account, stored.account_id)
    if account is None or not await _usable(session, account):
        raise unauthenticated("账号已停用，请联系管理员")
    stored.revoked_at = now
    return await _issue(session, account, policy)


async def sign_out(session: AsyncSession, token: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash(token), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def revoke_all(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
