"""``python -m bench.members_sync [--rows N] [--roster-rows N] [--only sync|roster]``:

- sync: one unit syncing N in-service members through the sync service (in-process,
  real PostgreSQL, outbox events included);
- roster: a 100,000-member district roster import, one CSV per community through the
  roster import service (see :mod:`bench.members_sync.roster`);

each against raw asyncpg ``copy_records_to_table`` of the same rows into a scratch table.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import asyncpg
from stdnum.cn import ric

from bench.members_sync.roster import COMMUNITIES, bench_roster, cpu_lines
from bench.pipeline.infra import start_infra
from bench.pipeline.runs import CpuClock, RunResult
from services.members.app import SPEC
from services.members.organizations.models import Organization
from services.members.sync.schemas import SyncRequest
from services.members.sync.service import parse_rows, sync_unit
from shared.cli import tune_gc
from shared.db import asyncpg_dsn, create_engine, session_factory, unit_of_work
from shared.log import configure_logging
from shared.writes import WriteContext

TARGET_SECONDS = 5.0
TARGET_RATIO = 0.2
COLUMNS = ("external_id", "name", "id_number", "mobile", "community_id", "post", "joined_at")


def roster(n: int, community_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        body = f"110105{1960 + i // 1000 % 40}0101{i % 1000:03d}"
        rows.append(
            {
                "external_id": f"E{i:06d}",
                "name": f"党员{i}",
                "id_number": body + ric.calc_check_digit(body + "0"),
                "mobile": f"139{i:08d}",
                "community_id": str(community_id),
                "post": "科员",
                "joined_at": "2005-07-01",
            }
        )
    return rows


async def make_tree(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A district, a street, a community and a unit, written directly."""
    engine = create_engine(url)
    district, street, community, unit = (uuid.uuid4() for _ in range(4))
    async with unit_of_work(session_factory(engine)) as session:
        for org_id, kind, parent, ancestors in (
            (district, "district", None, []),
            (street, "street", district, [district]),
            (community, "community", street, [district, street]),
            (unit, "unit", district, [district]),
        ):
            session.add(
                Organization(
                    id=org_id,
                    kind=kind,
                    name=f"{kind}-{org_id.hex[:6]}",
                    parent_id=parent,
                    ancestor_ids=ancestors,
                    district_id=district,
                    community_id=community if kind == "community" else None,
                    status="active",
                    version=1,
                )
            )
            await session.flush()
    await engine.dispose()
    return unit, community


async def run_sync(url: str, rows: list[dict[str, Any]], unit: uuid.UUID) -> RunResult:
    engine = create_engine(url)
    try:
        request = SyncRequest(mode="full", members=rows)
        ctx = WriteContext(
            topic="bench.members.events",
            outbox=SPEC.tables.outbox,
            audit_model=SPEC.audit,
            actor="bench",
        )
        clock = CpuClock()
        started = time.perf_counter()
        async with unit_of_work(session_factory(engine)) as session:
            report = await sync_unit(session, unit, request, ctx)
        result = clock.stop(RunResult(len(rows), time.perf_counter() - started))
        assert report.counts.created == len(rows), report.summary
        print(report.summary, file=sys.stderr)
        return result
    finally:
        await engine.dispose()


async def run_copy(url: str, rows: list[dict[str, Any]]) -> RunResult:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(
            "CREATE TABLE bench_sync_scratch (external_id text, name text, id_number text,"
            " mobile text, community_id uuid, post text, joined_at date)"
        )
        records = [
            (
                r["external_id"],
                r["name"],
                r["id_number"],
                r["mobile"],
                uuid.UUID(r["community_id"]),
                r["post"],
                date.fromisoformat(r["joined_at"]),
            )
            for r in rows
        ]
        clock = CpuClock()
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("bench_sync_scratch", records=records, columns=COLUMNS)
        return clock.stop(RunResult(len(records), time.perf_counter() - started))
    finally:
        await conn.close()


def time_validation(rows: list[dict[str, Any]]) -> float:
    """Seconds to validate the rows alone (fields, ID number check digit, mobile), no SQL:
    a floor under any sync that checks each row, whatever it does with the database."""
    started = time.perf_counter()
    parsed, checked = parse_rows(rows)
    assert len(parsed) == len(rows) and not checked.errors
    return time.perf_counter() - started


def report(n: int, synced: RunResult, copied: RunResult, validation: float) -> None:
    sync_seconds, copy_seconds = synced.seconds, copied.seconds
    ratio = copy_seconds / sync_seconds  # share of raw COPY's speed the sync reaches
    rows = [
        ("rows", f"{n:,}"),
        ("sync seconds", f"{sync_seconds:.2f}"),
        ("sync rows/s", f"{n / sync_seconds:,.0f}"),
        ("raw COPY seconds", f"{copy_seconds:.3f}"),
        ("raw COPY rows/s", f"{n / copy_seconds:,.0f}"),
        ("ratio sync/raw (rows/s)", f"{ratio:.3f}"),
        ("validation alone seconds", f"{validation:.2f}"),
        ("validation alone rows/s", f"{n / validation:,.0f}"),
        ("ratio ceiling (validation/raw)", f"{copy_seconds / validation:.3f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12}")
    print()
    print("sync = validate every row, diff, insert members, links, audit rows and outbox")
    print("events, commit; raw = COPY of the same rows (7 columns) into a scratch table;")
    print("validation alone = the sync's per-row checks without SQL: no sync that checks")
    print("every row can beat the ratio ceiling")
    cpu_lines("sync", synced)
    cpu_lines("raw", copied)
    for label, ok in (
        (f"sync <= {TARGET_SECONDS:.0f} s", sync_seconds <= TARGET_SECONDS),
        (f"ratio >= {TARGET_RATIO:.2f}", ratio >= TARGET_RATIO),
    ):
        print(f"target {label}: {'met' if ok else 'NOT met'}")


async def bench_sync(url: str, n: int) -> None:
    unit, community = await make_tree(url)
    rows = roster(n, community)
    tune_gc()
    print(f"sync of {n:,} rows ...", file=sys.stderr)
    synced = await run_sync(url, rows, unit)
    print("raw COPY ...", file=sys.stderr)
    copied = await run_copy(url, rows)
    report(n, synced, copied, time_validation(rows))


async def main(args: argparse.Namespace) -> None:
    configure_logging("bench", "WARNING", json=False)
    async with AsyncExitStack() as stack:
        print("preparing PostgreSQL and the broker", file=sys.stderr)
        infra = await start_infra(stack)
        url = infra.databases["members"]
        if args.only in (None, "sync"):
            await bench_sync(url, args.rows)
        if args.only in (None, "roster"):
            await bench_roster(url, args.roster_rows, args.roster_communities)


def cli() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.members_sync",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=10_000, help="members in the unit's list")
    parser.add_argument(
        "--roster-rows", type=int, default=100_000, help="members in the district roster"
    )
    parser.add_argument(
        "--roster-communities",
        type=int,
        default=COMMUNITIES,
        help="communities (one file each) the roster is spread over; more if a file would"
        " exceed the import's row limit",
    )
    parser.add_argument("--only", choices=["sync", "roster"], help="run one part only")
    args = parser.parse_args()
    import uvloop  # as the services' entry point runs

    uvloop.run(main(args))


if __name__ == "__main__":
    cli()
