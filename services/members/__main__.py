from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from services.members.accounts.cli import create_account_command, create_district_command
from services.members.app import SPEC, create_app
from services.members.demo import demo_command
from services.members.onboarding.schemas import OnboardingReport, parse_description
from services.members.onboarding.service import onboard_community, render_report
from services.members.roster.cli import import_roster_command
from services.members.settings import MembersSettings
from shared.cli import cli_actor, main
from shared.db import create_engine, session_factory, unit_of_work
from shared.errors import AppError
from shared.log import configure_logging, get_logger
from shared.writes import write_context

log = get_logger("services.members.onboard")


def onboard(settings: MembersSettings, args: Sequence[str]) -> int:
    """FILE — build a community's organization tree from a YAML or JSON description"""
    parser = argparse.ArgumentParser(prog="python -m services.members onboard")
    parser.add_argument("file", type=Path, help="社区描述文件（.yaml / .yml / .json）")
    path: Path = parser.parse_args(args).file
    configure_logging("members", settings.log_level, settings.log_json)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(f"入驻失败：无法读取文件 {path}（{exc.strerror}）", file=sys.stderr)
        return 2
    is_yaml = path.suffix.lower() in {".yaml", ".yml"}
    try:
        report = asyncio.run(_onboard(settings, raw, is_yaml=is_yaml))
    except AppError as exc:
        print(f"入驻失败：{exc.message}", file=sys.stderr)
        for detail in exc.details:
            print(f"  {detail.field}：{detail.message}", file=sys.stderr)
        return 1
    except Exception as exc:  # database away, etc.: one readable line, details in the log
        log.exception("onboarding.failed", error_type=type(exc).__name__)
        print(
            f"入驻失败：写入数据库时出错（{type(exc).__name__}），没有写入任何数据", file=sys.stderr
        )
        return 1
    print(render_report(report))
    return 0


async def _onboard(settings: MembersSettings, raw: bytes, *, is_yaml: bool) -> OnboardingReport:
    description = parse_description(raw, is_yaml=is_yaml)
    engine = create_engine(settings.database_url, pool_size=1)
    ctx = write_context(SPEC, settings, actor=cli_actor())
    try:
        # One transaction; the outbox rows it writes are published by the running service.
        async with unit_of_work(session_factory(engine)) as session:
            return await onboard_community(session, description, ctx)
    finally:
        await engine.dispose()


main(
    "members",
    MembersSettings,
    create_app,
    commands={
        "onboard": onboard,
        "import-roster": import_roster_command,
        "create-district": create_district_command,
        "create-account": create_account_command,
        "demo": demo_command,
    },
)
