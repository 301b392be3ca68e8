"""The run command: PostgreSQL, the broker and all four services on this machine.

``python -m services.devstack`` (called by ``scripts/run``) starts the embedded PostgreSQL
(data under ``.data/``) and the Tansu broker, or uses the servers named by
``GONGJIAN_DATABASE_URL`` and ``GONGJIAN_KAFKA_BOOTSTRAP_SERVERS``; creates and migrates
each service's database; starts ``python -m services.<name> all`` for each service;
waits until every ``/readyz`` is green; optionally loads demo data; prints the URLs.
Ctrl-C (or SIGTERM) stops the services, then the broker and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from services.catalog import SERVICES, ServiceEntry
from shared import migrations
from shared.db import create_database
from shared.embedded import EmbeddedBroker, EmbeddedPostgres, _die_with_parent

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/run", description="启动共建平台（本机开发环境）")
    p.add_argument("--data-dir", type=Path, default=ROOT / ".data", help="embedded PostgreSQL data")
    p.add_argument("--pg-port", type=int, default=55432)
    p.add_argument("--kafka-port", type=int, default=19092)
    p.add_argument("--port-base", type=int, default=8000, help="services listen on base+1..base+4")
    p.add_argument("--db-prefix", default="gongjian_", help="database name prefix")
    p.add_argument("--topic-prefix", default="gongjian.")
    p.add_argument("--demo", action="store_true", help="load demo data once everything is up")
    return p.parse_args(argv)


def service_env(
    svc: ServiceEntry,
    database_url: str,
    bootstrap: str,
    port: int,
    topic_prefix: str,
    embedded: bool,
) -> dict[str, str]:
    env = dict(os.environ)
    p = svc.env_prefix
    env.update(
        {
            f"{p}DATABASE_URL": database_url,
            f"{p}KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            f"{p}KAFKA_TOPIC_PREFIX": topic_prefix,
            f"{p}HTTP_PORT": str(port),
            f"{p}HTTP_HOST": "127.0.0.1",
        }
    )
    if embedded:  # Tansu: no idempotent producer; short group timeouts for a quick start
        env.update(
            {
                f"{p}KAFKA_IDEMPOTENT_PRODUCER": "false",
                f"{p}KAFKA_TOPIC_PARTITIONS": "3",
                f"{p}KAFKA_SESSION_TIMEOUT_MS": "3000",
                f"{p}KAFKA_REBALANCE_TIMEOUT_MS": "2000",
                f"{p}KAFKA_HEARTBEAT_INTERVAL_MS": "500",
            }
        )
    return env


def wait_ready(url: str, procs: list[subprocess.Popen[bytes]], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"a service exited during start-up (code {proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} was not ready within {timeout:.0f} s")


def stop_processes(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(args: argparse.Namespace) -> int:
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    with ExitStack() as stack:
        server_url = os.environ.get("GONGJIAN_DATABASE_URL")
        bootstrap = os.environ.get("GONGJIAN_KAFKA_BOOTSTRAP_SERVERS")
        embedded_broker = bootstrap is None
        if server_url is None:
            args.data_dir.mkdir(parents=True, exist_ok=True)
            pg = EmbeddedPostgres(args.data_dir / "postgres", args.pg_port)
            stack.callback(pg.stop)
            print(f"PostgreSQL   starting on 127.0.0.1:{args.pg_port} (data: {pg.data_dir})")
            server_url = pg.start()
        if bootstrap is None:
            broker = EmbeddedBroker(args.kafka_port, log_dir=args.data_dir)
            stack.callback(broker.stop)
            print(f"Kafka (Tansu) starting on 127.0.0.1:{args.kafka_port} (memory only)")
            bootstrap = broker.start()

        urls = {
            s.name: asyncio.run(
                create_database(server_url, f"{args.db_prefix}{s.name}", if_missing=True)
            )
            for s in SERVICES
        }
        for s in SERVICES:
            migrations.upgrade(s.name, urls[s.name])
        print("migrations   applied")

        procs: list[subprocess.Popen[bytes]] = []
        stack.callback(stop_processes, procs)
        for i, s in enumerate(SERVICES, start=1):
            env = service_env(
                s, urls[s.name], bootstrap, args.port_base + i, args.topic_prefix, embedded_broker
            )
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", f"services.{s.name}", "all"],
                    env=env,
                    cwd=ROOT,
                    preexec_fn=_die_with_parent(signal.SIGTERM),
                )
            )
        for i in range(1, len(SERVICES) + 1):
            wait_ready(f"http://127.0.0.1:{args.port_base + i}/readyz", procs)

        if args.demo:  # the members CLI loads it, with the members service's settings
            members_env = service_env(
                SERVICES[0],
                urls["members"],
                bootstrap,
                args.port_base + 1,
                args.topic_prefix,
                embedded_broker,
            )
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "services.members",
                    "demo",
                    f"http://127.0.0.1:{args.port_base + 1}",
                ],
                env=members_env,
                cwd=ROOT,
                check=True,
            )

        print("\n共建平台已启动 (Gongjian is up):")
        for i, s in enumerate(SERVICES, start=1):
            base = f"http://127.0.0.1:{args.port_base + i}"
            print(f"  {s.name:<11} {base}/docs   {base}/readyz   {base}/metrics")
        print("按 Ctrl-C 停止 (Ctrl-C stops everything).", flush=True)

        while not stopping:
            for s, proc in zip(SERVICES, procs, strict=True):
                if proc.poll() is not None:
                    print(f"{s.name} exited with code {proc.returncode}; stopping everything")
                    return 1
            time.sleep(0.2)
        print("stopping ...", flush=True)
    print("stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
