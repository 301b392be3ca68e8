"""``python -m services.<name> [api|worker|all|migrate]`` for every service, plus the
commands a service adds (e.g. ``python -m services.members onboard FILE``)."""

from __future__ import annotations

import argparse
import gc
import getpass
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from shared import migrations
from shared.runtime import Mode
from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def tune_gc() -> None:
    """Call once the process has imported and built what lives as long as it does.

    Every event allocates a few hundred short-lived objects (envelopes, payload models,
    rows, Kafka records); with the default gen-0 threshold of 700 the cyclic collector runs
    several times per batch and its full collections walk every module, class and function
    the process ever loaded — about a fifth of a busy worker's CPU. Freezing moves what
    exists now out of the collector's view, and a larger first threshold lets a batch's
    garbage (freed by reference counting anyway) come and go between collections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


# A service's own command: gets the settings and the arguments after its name, returns
# the process exit code. Its docstring's first line is its help.
Command = Callable[[S, Sequence[str]], int]


def main(
    service: str,
    settings_factory: Callable[[], S],
    app_factory: Callable[[S, Mode], FastAPI],
    commands: Mapping[str, Command[S]] | None = None,
) -> None:
    extra = dict(commands or {})
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}")
    parser.add_argument(
        "command",
        nargs="?",
        default="all",
        choices=["api", "worker", "all", "migrate", *extra],
        help="api: HTTP only; worker: outbox relay and consumers; all: both (default); "
        "migrate: apply database migrations and exit"
        + "".join(f"; {name}: {_summary(run)}" for name, run in extra.items()),
    )
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of a service command")
    args = parser.parse_args()
    if args.args and args.command not in extra:
        parser.error(f"{args.command} takes no arguments")
    settings = settings_factory()
    if args.command in extra:
        raise SystemExit(extra[args.command](settings, args.args))
    if args.command == "migrate":
        migrations.upgrade(service, settings.database_url)
        return
    app = app_factory(settings, args.command)
    tune_gc()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,  # the request middleware logs and counts requests itself
        proxy_headers=False,  # the app applies them itself (settings.trusted_proxies)
        timeout_graceful_shutdown=10,
        loop="uvloop",  # less CPU per socket read and write than asyncio's own loop
    )


def _summary(command: Callable[..., int]) -> str:
    return (command.__doc__ or "").strip().split("\n")[0]


def cli_actor() -> str:
    """Who a command-line write is attributed to in the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli:unknown"
