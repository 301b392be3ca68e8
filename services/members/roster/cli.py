"""``python -m services.members import-roster COMMUNITY_ID FILE [--partial] [--dry-run]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.members.app import SPEC
from services.members.roster.service import (
    ImportReport,
    RosterInvalid,
    import_roster,
    render_report,
)
from services.members.settings import MembersSettings
from shared.cli import cli_actor
from shared.db import create_engine, session_factory, unit_of_work
from shared.errors import AppError
from shared.log import configure_logging, get_logger
from shared.writes import write_context

log = get_logger("services.members.import_roster")


def import_roster_command(settings: MembersSettings, args: Sequence[str]) -> int:
    """COMMUNITY_ID FILE [--partial] [--dry-run] — import a roster (党员台账, .xlsx or CSV)"""
    parser = argparse.ArgumentParser(prog="python -m services.members import-roster")
    parser.add_argument("community_id", type=uuid.UUID, help="社区编号")
    parser.add_argument("file", type=Path, help="党员台账文件（.xlsx 或 CSV）")
    parser.add_argument("--partial", action="store_true", help="只导入正确的行，列出有误的行")
    parser.add_argument("--dry-run", action="store_true", help="试导入：只检查，不写入")
    options = parser.parse_args(args)
    configure_logging("members", settings.log_level, settings.log_json)
    path: Path = options.file
    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(f"导入失败：无法读取文件 {path}（{exc.strerror}）", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(
            _import(
                settings, options.community_id, raw, path.name, options.partial, options.dry_run
            )
        )
    except RosterInvalid as exc:
        print(render_report(exc.report))
        return 1
    except AppError as exc:
        print(f"导入失败：{exc.message}", file=sys.stderr)
        return 1
    except Exception as exc:  # database away, etc.: one readable line, details in the log
        log.exception("roster.import_failed", error_type=type(exc).__name__)
        print(
            f"导入失败：写入数据库时出错（{type(exc).__name__}），没有写入任何数据", file=sys.stderr
        )
        return 1
    print(render_report(report))
    return 1 if report.errors else 0


async def _import(
    settings: MembersSettings,
    community_id: uuid.UUID,
    raw: bytes,
    filename: str,
    partial: bool,
    dry_run: bool,
) -> ImportReport:
    engine = create_engine(settings.database_url, pool_size=1)
    ctx = write_context(SPEC, settings, actor=cli_actor())
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    # The bar goes to stderr so that stdout holds only the report.
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("读取文件", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{stage}第 {done} 行", completed=done, total=total)

        try:
            # One transaction; its outbox rows are published by the running service.
            async with unit_of_work(session_factory(engine)) as session:
                return await import_roster(
                    session,
                    community_id,
                    raw,
                    filename,
                    ctx,
                    partial=partial,
                    dry_run=dry_run,
                    progress=progress,
                )
        finally:
            await engine.dispose()
