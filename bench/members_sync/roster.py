"""The district roster import (党员台账导入): N members spread over the district's
communities, one CSV per community with the export's headers and cell rendering,
each imported through :func:`services.members.roster.service.import_roster` in its own
transaction, as the API takes one upload per community (a file holds at most
``MAX_ROWS`` rows). Against raw asyncpg ``copy_records_to_table`` of the same rows."""

from __future__ import annotations

import math
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

import asyncpg
from stdnum.cn import ric

from bench.pipeline.runs import CpuClock, RunResult
from services.members.app import SPEC
from services.members.organizations.models import Organization
from services.members.roster.columns import COLUMNS
from services.members.roster.directory import OrgDirectory, OrgEntry
from services.members.roster.export import cell_value
from services.members.roster.files import MAX_ROWS
from services.members.roster.service import import_roster
from shared.cli import tune_gc
from shared.db import asyncpg_dsn, create_engine, session_factory, unit_of_work
from shared.spreadsheets.writer import csv_text
from shared.writes import WriteContext

COMMUNITIES = 20
BRANCH_NAME = "第一党支部"
AREA = "310104"  # 上海市徐汇区; the sync benchmark's members are 110105
# The fields each generated member fills: every imported column of the roster.
FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "mobile",
    "address",
    "work_unit",
    "post",
    "education",
    "specialties",
    "interests",
    "joined_at",
    "full_member_at",
    "categories",
    "home_organization_id",
    "lives_in_area",
)
SCRATCH_TABLE = """CREATE TABLE bench_roster_scratch (
    name text, gender text, birth_date date, id_number text, mobile text, address text,
    work_unit text, post text, education text, specialties text[], interests text[],
    joined_at date, full_member_at date, categories text[], home_organization_id uuid,
    lives_in_area boolean)"""
EDUCATIONS = ("postgraduate", "bachelor", "college", "secondary", "junior_or_below")
CATEGORY_SETS = (["community"], ["retired"], ["in_service", "community"], ["veteran"])


@dataclass(frozen=True)
class Community:
    id: uuid.UUID
    name: str
    branch_id: uuid.UUID
    directory: OrgDirectory  # as the import reads it: the community and its branch


@dataclass
class RosterFile:
    community: Community
    members: list[SimpleNamespace]
    data: bytes = b""

    @property
    def filename(self) -> str:
        return f"{self.community.name}党员台账.csv"


async def make_district(url: str, communities: int) -> list[Community]:
    """A district, a street, ``communities`` communities with a branch each, written
    directly."""
    engine = create_engine(url)
    district, street = uuid.uuid4(), uuid.uuid4()
    made = []
    async with unit_of_work(session_factory(engine)) as session:

        async def add(
            org_id: uuid.UUID,
            kind: str,
            name: str,
            parent: uuid.UUID | None,
            community: uuid.UUID | None = None,
        ) -> None:
            ancestors = (
                []
                if parent is None
                else [*(await session.get_one(Organization, parent)).ancestor_ids, parent]
            )
            session.add(
                Organization(
                    id=org_id,
                    kind=kind,
                    name=name,
                    parent_id=parent,
                    ancestor_ids=ancestors,
                    district_id=district,
                    community_id=community,
                    status="active",
                    version=1,
                )
            )
            await session.flush()

        await add(district, "district", "基准区", None)
        await add(street, "street", "基准街道", district)
        for k in range(communities):
            community, branch = uuid.uuid4(), uuid.uuid4()
            name = f"第{k + 1:02d}社区"
            await add(community, "community", name, street, community)
            await add(branch, "branch", BRANCH_NAME, community, community)
            entries = [
                OrgEntry(community, name, "community", street),
                OrgEntry(branch, BRANCH_NAME, "branch", community),
            ]
            made.append(Community(community, name, branch, OrgDirectory(entries)))
    await engine.dispose()
    return made


def member(i: int, branch_id: uuid.UUID) -> SimpleNamespace:
    """Member ``i``: a unique valid ID number (1,000 per birth date) and mobile."""
    born = date(1950, 1, 1) + timedelta(days=i // 1000 * 13)
    body = f"{AREA}{born:%Y%m%d}{i % 1000:03d}"
    joined = date(born.year + 25, born.month, min(born.day, 28))
    return SimpleNamespace(
        name=f"党员{i}",
        gender="male" if i % 2 else "female",  # the ID's 17th digit is i's last digit
        birth_date=born,
        id_number=body + ric.calc_check_digit(body + "0"),
        mobile=f"158{i:08d}",
        address=f"幸福路{i % 500 + 1}号",
        work_unit=f"第{i % 300 + 1}工作单位" if i % 3 else None,
        post="科员" if i % 4 == 0 else None,
        education=EDUCATIONS[i % len(EDUCATIONS)],
        specialties=["电工", "书法"] if i % 5 == 0 else [],
        interests=["乒乓球"] if i % 7 == 0 else [],
        joined_at=joined,
        full_member_at=date(joined.year + 1, joined.month, joined.day),
        categories=CATEGORY_SETS[i % len(CATEGORY_SETS)],
        home_organization_id=branch_id,
        lives_in_area=i % 10 != 0,
        status="active",
    )


def roster_files(n: int, communities: list[Community]) -> list[RosterFile]:
    """``n`` members split evenly over the communities, each community's as the CSV
    ("CSV UTF-8", with BOM) of the export's columns and cell values, written by the
    shared export writer."""
    files = []
    per = math.ceil(n / len(communities))
    for k, community in enumerate(communities):
        first, last = k * per, min(n, (k + 1) * per)
        members = [member(i, community.branch_id) for i in range(first, last)]
        if members:
            files.append(RosterFile(community, members))
    for file in files:
        directory = file.community.directory
        rows = [[cell_value(c, m, directory) for c in COLUMNS] for m in file.members]  # type: ignore[arg-type]
        # As an export would write it, formula guard included.
        file.data = csv_text([c.header for c in COLUMNS], rows).encode("utf-8-sig")
    return files


def communities_for(n: int, wanted: int = COMMUNITIES) -> int:
    """Enough communities that no file exceeds the import's row limit."""
    return max(wanted, math.ceil(n / MAX_ROWS))


class Stages:
    """Where an import's time goes, from the progress callbacks: reading and parsing the
    file (until the first row is checked), the database checks, the set-based write, and
    the commit. Summed over all files."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(("read+parse", "check", "write", "commit"), 0.0)
        self._mark = 0.0
        self._stage = ""

    def start(self) -> None:
        self._mark, self._stage = time.perf_counter(), "read+parse"

    def progress(self, stage: str, done: int, total: int) -> None:
        if stage == "检查" and self._stage == "read+parse":
            self.switch("check")
        elif stage == "检查" and done == total:
            self.switch("write")

    def switch(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[self._stage] += now - self._mark
        self._mark, self._stage = now, stage

    def stop(self) -> None:
        """The file is imported and committed: the last stage ends here."""
        self.seconds[self._stage] += time.perf_counter() - self._mark


async def run_import(url: str, files: list[RosterFile], stages: Stages) -> RunResult:
    engine = create_engine(url)
    try:
        ctx = WriteContext(
            topic="bench.members.events",
            outbox=SPEC.tables.outbox,
            audit_model=SPEC.audit,
            actor="bench",
        )
        total = sum(len(f.members) for f in files)
        clock = CpuClock()
        started = time.perf_counter()
        for k, file in enumerate(files, start=1):
            stages.start()
            async with unit_of_work(session_factory(engine)) as session:
                report = await import_roster(
                    session,
                    file.community.id,
                    file.data,
                    file.filename,
                    ctx,
                    progress=stages.progress,
                )
                stages.switch("commit")
            stages.stop()
            assert report.created == len(file.members) and not report.errors, report.summary
            elapsed = time.perf_counter() - started
            print(
                f"{k}/{len(files)} {file.filename}: {report.summary}, {elapsed:.0f} s",
                file=sys.stderr,
            )
        return clock.stop(RunResult(total, time.perf_counter() - started))
    finally:
        await engine.dispose()


async def run_copy(url: str, files: list[RosterFile]) -> RunResult:
    records = [tuple(getattr(m, f) for f in FIELDS) for file in files for m in file.members]
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(SCRATCH_TABLE)
        clock = CpuClock()
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                "bench_roster_scratch", records=records, columns=FIELDS
            )
        return clock.stop(RunResult(len(records), time.perf_counter() - started))
    finally:
        await conn.close()


def report(files: list[RosterFile], imported: RunResult, copied: RunResult, stages: Stages) -> None:
    n = imported.events
    ratio = copied.seconds / imported.seconds  # share of raw COPY's speed the import reaches
    megabytes = sum(len(f.data) for f in files) / 1e6
    rows = [
        ("roster rows", f"{n:,}"),
        ("files (communities)", f"{len(files):,}"),
        ("import seconds", f"{imported.seconds:.2f}"),
        ("import rows/s", f"{n / imported.seconds:,.0f}"),
        ("raw COPY seconds", f"{copied.seconds:.3f}"),
        ("raw COPY rows/s", f"{n / copied.seconds:,.0f}"),
        ("ratio import/raw (rows/s)", f"{ratio:.5f}"),
        *((f"  {name} s", f"{sec:.2f}") for name, sec in stages.seconds.items()),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12}")
    print()
    print(
        f"import = {len(files)} CSV files, one per community (UTF-8, the export's {len(COLUMNS)}"
        f" headers; {megabytes:.1f} MB),"
    )
    print("each through import_roster in its own transaction, as the API takes an upload:")
    print("read, parse and check every row, duplicate checks, insert members, audit rows and")
    print(f"outbox events, commit; raw = COPY of the same rows ({len(FIELDS)} columns) into a")
    print("scratch table, one transaction")
    cpu_lines("import", imported)
    cpu_lines("raw", copied)


def cpu_lines(name: str, run: RunResult) -> None:
    steal = "" if run.steal is None else f", CPU steal {run.steal:.0%} of the machine"
    print(
        f"{name}: this process used {run.cpu_seconds:.1f} s CPU "
        f"({run.cpu_seconds / run.seconds:.0%} of one core){steal}"
    )


async def bench_roster(url: str, n: int, communities: int = COMMUNITIES) -> None:
    made = await make_district(url, communities_for(n, communities))
    print(f"writing {n:,} roster rows as CSV ...", file=sys.stderr)
    files = roster_files(n, made)
    tune_gc()
    print(f"roster import of {n:,} rows in {len(files)} files ...", file=sys.stderr)
    stages = Stages()
    imported = await run_import(url, files, stages)
    print("raw COPY ...", file=sys.stderr)
    copied = await run_copy(url, files)
    report(files, imported, copied, stages)
