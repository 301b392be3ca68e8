"""``python -m bench.pipeline [--events N]``: pipeline and raw-Kafka throughput, side by side."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import uuid
from contextlib import AsyncExitStack
from typing import TypeVar

from bench.pipeline.infra import start_infra
from bench.pipeline.runs import RunResult, run_pipeline, run_raw
from services.activities.settings import ActivitiesSettings
from services.members.settings import MembersSettings
from shared.cli import tune_gc
from shared.log import configure_logging
from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)

TARGET_RATE = 2_000.0
TARGET_RATIO = 0.40


def settings(cls: type[S], database_url: str, bootstrap: str, prefix: str, idempotent: bool) -> S:
    return cls(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        kafka_idempotent_producer=idempotent,
        kafka_topic_prefix=prefix,
        # Tansu completes a group join in about half the session timeout.
        kafka_session_timeout_ms=3000,
        kafka_rebalance_timeout_ms=2000,
        kafka_heartbeat_interval_ms=500,
        log_level="WARNING",
    )


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def report(pipeline: RunResult, raw: RunResult) -> None:
    p50 = percentile(pipeline.latencies_ms, 50)
    p95 = percentile(pipeline.latencies_ms, 95)
    ratio = pipeline.rate / raw.rate
    rows = [
        ("events", f"{pipeline.events:,}"),
        ("pipeline events/s", f"{pipeline.rate:,.0f}"),
        ("pipeline p50 latency ms", f"{p50:,.1f}"),
        ("pipeline p95 latency ms", f"{p95:,.1f}"),
        ("raw aiokafka events/s", f"{raw.rate:,.0f}"),
        ("ratio pipeline/raw", f"{ratio:.2f}"),
    ]
    width = max(len(name) for name, _ in rows)
    vwidth = max(len(value) for _, value in rows)
    print()
    print(f"{'metric':<{width}}  {'value':>{vwidth}}")
    print(f"{'-' * width}  {'-' * vwidth}")
    for name, value in rows:
        print(f"{name:<{width}}  {value:>{vwidth}}")
    print()
    print(
        "pipeline events/s = N / (first outbox insert -> last projection committed); "
        f"{pipeline.seconds:.2f} s"
    )
    print(
        "latency = envelope occurred_at -> COMMIT of the consumer transaction that ran its "
        "handler (SQLAlchemy after_commit)"
    )
    print(f"raw events/s = N / (first send -> last message consumed); {raw.seconds:.2f} s")
    for name, run in (("pipeline", pipeline), ("raw", raw)):
        steal = "" if run.steal is None else f", CPU steal {run.steal:.0%} of the machine"
        print(
            f"{name}: this process used {run.cpu_seconds:.1f} s CPU "
            f"({run.cpu_seconds / run.seconds:.0%} of one core){steal}"
        )
    print()
    for label, ok in (
        (f"pipeline >= {TARGET_RATE:,.0f} events/s", pipeline.rate >= TARGET_RATE),
        (f"ratio >= {TARGET_RATIO:.2f}", ratio >= TARGET_RATIO),
    ):
        print(f"target {label}: {'met' if ok else 'NOT met'}")


async def main(n: int) -> None:
    configure_logging("bench", "WARNING", json=False)
    async with AsyncExitStack() as stack:
        print("preparing PostgreSQL (durable if started here) and the broker", file=sys.stderr)
        infra = await start_infra(stack)
        print(f"infrastructure: {infra.kind}; {n:,} events", file=sys.stderr)
        prefix = f"bench{uuid.uuid4().hex[:8]}."
        idempotent = infra.kind == "settings" and bool(
            os.environ.get("GONGJIAN_BENCH_IDEMPOTENT_PRODUCER")
        )
        members = settings(
            MembersSettings, infra.databases["members"], infra.bootstrap_servers, prefix, idempotent
        )
        activities = settings(
            ActivitiesSettings,
            infra.databases["activities"],
            infra.bootstrap_servers,
            prefix,
            idempotent,
        )
        tune_gc()  # as the services' entry point does once started
        print("pipeline run ...", file=sys.stderr)
        pipeline = await run_pipeline(members, activities, n)
        print("raw aiokafka run ...", file=sys.stderr)
        raw = await run_raw(members, n)
        report(pipeline, raw)


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="events per run")
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop", help="event loop (both runs)"
    )
    args = parser.parse_args()
    if args.events < 100:
        parser.error("--events must be at least 100")
    if args.loop == "uvloop":
        import uvloop  # as the services' entry point runs

        uvloop.run(main(args.events))
    else:
        asyncio.run(main(args.events))


if __name__ == "__main__":
    cli()
