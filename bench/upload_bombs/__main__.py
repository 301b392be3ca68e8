"""``python -m bench.upload_bombs [--idle N] [--repeat N]``: how fast ``/livez`` answers
while hostile uploads are refused, against how fast it answers when the service is idle.

The members API runs as its own process (``python -m services.members api``, uvicorn,
uvloop) on the benchmark's PostgreSQL and broker; this process uploads each bomb
``--repeat`` times in a row while a second task asks ``/livez`` back to back, and prints
the latencies seen during the uploads beside the idle ones. Before uploads were parsed on
the upload threads, the 32 KB .xlsx held the event loop ~2 s (10 s on a busy machine) and
the YAML alias bomb 4-9 s: ``/livez``'s worst case was the bomb's whole time."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
import zipfile
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta

import httpx
from openpyxl import Workbook

from bench.pipeline.infra import start_infra
from bench.pipeline.runs import CpuClock, RunResult
from services.members.app import SPEC
from services.members.organizations.schemas import OrganizationCreate
from services.members.organizations.service import create_organization
from shared.auth.keys import DEV_PRIVATE_KEY
from shared.auth.principal import Grant
from shared.auth.roles import Role
from shared.auth.tokens import TokenSigner
from shared.db import create_engine, session_factory, unit_of_work
from shared.writes import WriteContext


@dataclass
class Bomb:
    name: str
    path: str  # "roster" or "onboarding"
    body: bytes
    content_type: str = ""


def xlsx_rows(rows: int, *, same: bool) -> bytes:
    """A workbook whose sheet holds ``rows`` rows: all alike (a zip bomb: tiny file, huge
    ratio) or all different (an ordinary ratio; refused by the row limit while read)."""
    book = Workbook()
    book.active.append(["姓名", "所在党组织"])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, rest = data.decode().split("<sheetData>", 1)
                tail = rest.split("</sheetData>", 1)[1]
                cell = '<c t="inlineStr"><is><t>{}</t></is></c>'
                body = "".join(
                    f"<row>{cell.format('x' if same else f'党员{i}')}"
                    f"{cell.format('第一党支部')}</row>"
                    for i in range(rows)
                )
                data = f"{head}<sheetData>{body}</sheetData>{tail}".encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def bombs() -> list[Bomb]:
    laughs = ["    a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    laughs += [
        f"    {c}: &{c} [{', '.join([f'*{p}'] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    place = "district: {name: 基准区}\nstreet: {name: 基准街道}\n"
    alias = place + "community:\n  name: 桃源社区\n  settings:\n" + "\n".join(laughs)
    yaml = "application/yaml"
    return [
        Bomb("xlsx zip bomb: 200,000 rows", "roster", xlsx_rows(200_000, same=True)),
        Bomb("xlsx of 60,000 distinct rows", "roster", xlsx_rows(60_000, same=False)),
        Bomb("YAML alias bomb", "onboarding", alias.encode(), yaml),
        Bomb("YAML nested 5,000 deep", "onboarding", b"[" * 5_000 + b"]" * 5_000, yaml),
        Bomb("JSON nested 100,000 deep", "onboarding", b"[" * 100_000 + b"]" * 100_000),
    ]


async def make_tree(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    engine = create_engine(url)
    ctx = WriteContext(
        topic="bench", outbox=SPEC.tables.outbox, audit_model=SPEC.audit, actor="cli:bench"
    )
    try:
        async with unit_of_work(session_factory(engine)) as session:
            parent = None
            made = {}
            for kind, name in (
                ("district", "基准区"),
                ("street", "基准街道"),
                ("community", "基准社区"),
            ):
                body = {"kind": kind, "name": name, "parent_id": parent}
                org = await create_organization(
                    session, OrganizationCreate.model_validate(body), ctx
                )
                made[kind] = parent = org.id
        return made["district"], made["community"]
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_api(url: str, bootstrap: str, port: int, stack: AsyncExitStack) -> str:
    env = os.environ | {
        "MEMBERS_DATABASE_URL": url,
        "MEMBERS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "MEMBERS_KAFKA_TOPIC_PREFIX": f"bench{uuid.uuid4().hex[:6]}.",
        "MEMBERS_HTTP_PORT": str(port),
        "MEMBERS_ENVIRONMENT": "development",
        "MEMBERS_LOG_LEVEL": "WARNING",
        "MEMBERS_LOG_JSON": "true",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.members",
        "api",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    async def stop() -> None:
        process.terminate()
        await process.wait()

    stack.push_async_callback(stop)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(600):
            if process.returncode is not None:
                raise SystemExit("the members API did not start")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the members API did not become ready")


async def livez_until(client: httpx.AsyncClient, done: asyncio.Event) -> list[float]:
    seen = []
    while not done.is_set():
        started = time.perf_counter()
        response = await client.get("/livez")
        assert response.status_code == 200
        seen.append(time.perf_counter() - started)
    return seen


def figures(latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    median = statistics.median(ms)
    return f"n={len(ms):4d}  p50 {median:6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:7.1f} ms"


async def run(idle: int, repeat: int) -> None:
    async with AsyncExitStack() as stack:
        infra = await start_infra(stack)
        url = infra.databases["members"]
        district, community = await make_tree(url)
        base = await start_api(url, infra.bootstrap_servers, free_port(), stack)
        signer = TokenSigner(DEV_PRIVATE_KEY, "gongjian", timedelta(minutes=60))
        token, _ = signer.issue(
            account_id=uuid.uuid4(),
            name="基准",
            grants=[Grant(Role.district_admin, district)],
            member_id=None,
        )
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as client:
            for _ in range(20):  # warm up connections and code paths
                await client.get("/livez")
            quiet = []
            for _ in range(idle):
                started = time.perf_counter()
                await client.get("/livez")
                quiet.append(time.perf_counter() - started)
            print(f"{'idle':44s} {figures(quiet)}")
            clock = CpuClock()
            for bomb in bombs():
                async with httpx.AsyncClient(base_url=base, timeout=30) as prober:
                    done = asyncio.Event()
                    probe = asyncio.create_task(livez_until(prober, done))
                    answers, took = [], []
                    for _ in range(repeat):
                        started = time.perf_counter()
                        answers.append(await upload(client, bomb, community))
                        took.append(time.perf_counter() - started)
                    done.set()
                    during = await probe
                label = f"{bomb.name} ({len(bomb.body) / 1024:,.0f} KB)"
                codes = "/".join(sorted({str(a) for a in answers}))
                print(f"{label:44s} {figures(during)}  answer {codes} in {max(took):.2f} s")
            steal = clock.stop(RunResult(events=0, seconds=0)).steal
            if steal is not None:
                print(f"CPU steal during the uploads: {steal:.0%}")


async def upload(client: httpx.AsyncClient, bomb: Bomb, community: uuid.UUID) -> int:
    if bomb.path == "roster":
        files = {"file": ("台账.xlsx", bomb.body, "application/octet-stream")}
        response = await client.post(f"/communities/{community}/roster/import", files=files)
    else:
        headers = {"Content-Type": bomb.content_type or "application/json"}
        response = await client.post("/onboarding/communities", content=bomb.body, headers=headers)
    return response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.upload_bombs")
    parser.add_argument("--idle", type=int, default=300, help="/livez requests when idle")
    parser.add_argument("--repeat", type=int, default=3, help="uploads of each bomb")
    options = parser.parse_args()
    asyncio.run(run(options.idle, options.repeat))


if __name__ == "__main__":
    main()
