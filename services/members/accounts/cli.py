"""``python -m services.members create-district NAME`` and ``create-account …``: the
operators' first steps on a new platform (a district and its first admin)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from services.members.accounts.bootstrap import ensure_account, ensure_district
from services.members.app import SPEC
from services.members.settings import MembersSettings
from shared.auth.roles import ROLE_LABELS, Role
from shared.cli import cli_actor
from shared.db import create_engine, session_factory, unit_of_work
from shared.errors import AppError
from shared.log import configure_logging
from shared.writes import write_context

T = TypeVar("T")


def _run(settings: MembersSettings, work: Callable[..., Awaitable[T]]) -> T:
    async def go() -> T:
        engine = create_engine(settings.database_url, pool_size=1)
        try:
            async with unit_of_work(session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def create_district_command(settings: MembersSettings, args: Sequence[str]) -> int:
    """NAME — create a district (区), or find the active one of that name; prints its id"""
    parser = argparse.ArgumentParser(prog="python -m services.members create-district")
    parser.add_argument("name", help="区名称，如 示范区")
    name: str = parser.parse_args(args).name
    configure_logging("members", settings.log_level, settings.log_json)
    ctx = write_context(SPEC, settings, actor=cli_actor())
    try:
        district = _run(settings, lambda s: ensure_district(s, name, ctx))
    except AppError as exc:
        print(f"创建失败：{exc.message}", file=sys.stderr)
        return 1
    print(district.id)
    return 0


def create_account_command(settings: MembersSettings, args: Sequence[str]) -> int:
    """USERNAME --role ROLE [--node ID] — create an account (or add a role to it)"""
    parser = argparse.ArgumentParser(prog="python -m services.members create-account")
    parser.add_argument("username", help="登录名")
    parser.add_argument("--name", help="姓名（默认同登录名）")
    parser.add_argument(
        "--role", required=True, choices=[r.value for r in Role if r != Role.member]
    )
    parser.add_argument("--node", type=uuid.UUID, help="角色所管辖的组织 id（运维角色不需要）")
    parser.add_argument(
        "--password-stdin", action="store_true", help="从标准输入读取密码（否则交互输入）"
    )
    ns = parser.parse_args(args)
    password = sys.stdin.readline().rstrip("\n") if ns.password_stdin else getpass.getpass("密码：")
    configure_logging("members", settings.log_level, settings.log_json)
    role = Role(ns.role)
    ctx = write_context(SPEC, settings, actor=cli_actor())
    try:
        ensured = _run(
            settings,
            lambda s: ensure_account(
                s,
                username=ns.username,
                display_name=ns.name or ns.username,
                password=password,
                role=role,
                node_id=ns.node,
                ctx=ctx,
            ),
        )
    except AppError as exc:
        print(f"创建失败：{exc.message}", file=sys.stderr)
        return 1
    verb = "已创建账号" if ensured.created else "账号已存在，已确认角色"
    print(f"{verb} {ensured.account.username}（{ROLE_LABELS[role]}） id={ensured.account.id}")
    return 0
