from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import status as http_status

from services.members.accounts import admin, service
from services.members.accounts.models import Account
from services.members.accounts.passwords import hash_password, verify_password
from services.members.accounts.schemas import (
    AccountCreate,
    AccountCreateWithGrants,
    AccountOut,
    GrantCreate,
    GrantOut,
    PasswordChange,
    PasswordReset,
    RefreshRequest,
    SignIn,
    TokenPair,
)
from services.members.accounts.throttle import SignInThrottle
from services.members.policy import Action
from shared.auth.deps import OPEN, PrincipalDep, require, unauthenticated
from shared.auth.principal import Principal
from shared.paging import CURSOR, LIMIT, Page
from shared.runtime import RuntimeDep, SessionDep
from shared.writes import WriteDep

auth_router = APIRouter(prefix="/auth", tags=["登录"])
router = APIRouter(prefix="/accounts", tags=["账号与授权"])
ManagerDep = Annotated[Principal, Depends(require(Action.manage_accounts))]


def _policy(request: Request) -> service.TokenPolicy:
    policy: service.TokenPolicy = request.app.state.token_policy
    return policy


def _throttle(request: Request) -> SignInThrottle:
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    return throttle


@auth_router.post("/token", response_model=TokenPair, summary="用户名密码登录", openapi_extra=OPEN)
async def sign_in(
    body: SignIn, request: Request, session: SessionDep, runtime: RuntimeDep
) -> TokenPair:
    throttle = _throttle(request)
    client = request.client.host if request.client else "unknown"
    # Counted as a failure until it succeeds (in its own transaction: a 401 rolls back).
    attempt = await throttle.attempt(runtime.engine, body.username, client)
    pair = await service.sign_in(session, body.username, body.password, _policy(request))
    if pair is None:
        raise unauthenticated(service.BAD_CREDENTIALS)
    await throttle.succeeded(runtime.engine, attempt)
    return pair


@auth_router.post(
    "/refresh",
    response_model=TokenPair,
    summary="用刷新令牌换取新的访问令牌",
    openapi_extra=OPEN,
)
async def refresh(body: RefreshRequest, request: Request, session: SessionDep) -> TokenPair:
    return await service.refresh(session, body.refresh_token, _policy(request))


@auth_router.post(
    "/logout",
    status_code=http_status.HTTP_204_NO_CONTENT,
    summary="退出登录（吊销刷新令牌）",
    openapi_extra=OPEN,
)
async def sign_out(body: RefreshRequest, session: SessionDep) -> Response:
    await service.sign_out(session, body.refresh_token)
    return Response(status_code=http_status.HTTP_204_NO_CONTENT)


@auth_router.get("/me", response_model=AccountOut, summary="当前账号与角色")
async def me(principal: PrincipalDep, session: SessionDep) -> AccountOut:
    account = await session.get(Account, principal.subject)
    if account is None:
        raise unauthenticated("账号不存在，请重新登录")
    return await service.account_out(session, account)


@auth_router.post("/password", status_code=http_status.HTTP_204_NO_CONTENT, summary="修改本人密码")
async def change_password(
    body: PasswordChange, principal: PrincipalDep, session: SessionDep
) -> Response:
    account = await session.get(Account, principal.subject, with_for_update=True)
    if account is None or not verify_password(account.password_hash, body.old_password):
        raise unauthenticated("原密码不正确")
    account.password_hash = hash_password(body.new_password)
    account.version += 1
    await service.revoke_all(session, account.id)
    return Response(status_code=http_status.HTTP_204_NO_CONTENT)


@router.post(
    "", status_code=http_status.HTTP_201_CREATED, response_model=AccountOut, summary="创建账号"
)
async def create_account(
    body: AccountCreateWithGrants,
    principal: ManagerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> AccountOut:
    data = AccountCreate.model_validate(body.model_dump(exclude={"grants"}))
    account = await admin.create_account(session, principal, data, body.grants, ctx)
    return await service.account_out(session, account)


@router.get("", response_model=Page[AccountOut], summary="我管理的账号（按登录名）")
async def list_accounts(
    principal: ManagerDep,
    session: SessionDep,
    q: str | None = Query(None, max_length=50, description="登录名开头或姓名的一部分"),
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> Page[AccountOut]:
    """Only accounts the caller outranks entirely (every grant and the member link)."""
    accounts, next_cursor = await admin.list_accounts(
        session, principal, q=q, cursor=cursor, limit=limit
    )
    return Page(items=await service.accounts_out(session, accounts), next_cursor=next_cursor)


@router.get("/{account_id}", response_model=AccountOut, summary="查看账号")
async def get_account(
    account_id: uuid.UUID, principal: ManagerDep, session: SessionDep
) -> AccountOut:
    return await service.account_out(
        session, await admin.account_for(session, principal, account_id)
    )


@router.post(
    "/{account_id}/grants",
    status_code=http_status.HTTP_201_CREATED,
    response_model=GrantOut,
    summary="授予角色",
)
async def add_grant(
    account_id: uuid.UUID,
    body: GrantCreate,
    principal: ManagerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> GrantOut:
    await admin.account_for(session, principal, account_id)
    grant = await admin.add_grant(session, principal, account_id, body, ctx)
    return GrantOut.model_validate(grant)


@router.post(
    "/{account_id}/grants/{grant_id}/revoke",
    status_code=http_status.HTTP_204_NO_CONTENT,
    summary="撤销角色",
)
async def revoke_grant(
    account_id: uuid.UUID,
    grant_id: uuid.UUID,
    principal: ManagerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> Response:
    await admin.account_for(session, principal, account_id)
    await admin.revoke_grant(session, principal, account_id, grant_id, ctx)
    return Response(status_code=http_status.HTTP_204_NO_CONTENT)


@router.post(
    "/{account_id}/password",
    status_code=http_status.HTTP_204_NO_CONTENT,
    summary="重置账号密码（管理员）",
)
async def reset_password(
    account_id: uuid.UUID,
    body: PasswordReset,
    principal: ManagerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> Response:
    await admin.reset_password(session, principal, account_id, body.new_password, ctx)
    return Response(status_code=http_status.HTTP_204_NO_CONTENT)


@router.post("/{account_id}/disable", response_model=AccountOut, summary="停用账号")
async def disable_account(
    account_id: uuid.UUID,
    principal: ManagerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> AccountOut:
    account = await admin.set_status(session, principal, account_id, "disabled", ctx)
    return await service.account_out(session, account)


@router.post("/{account_id}/enable", response_model=AccountOut, summary="重新启用账号")
async def enable_account(
    account_id: uuid.UUID,
    principal: ManagerDep,
    session: SessionDep,
    ctx: WriteDep,
) -> AccountOut:
    account = await admin.set_status(session, principal, account_id, "active", ctx)
    return await service.account_out(session, account)
