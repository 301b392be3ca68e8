"""The run command, as a newcomer uses it: everything comes up, a member registered through
the API shows in the other three services, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from shared.embedded import free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def free_port_base() -> int:
    """A base such that base+1..base+4 are all free."""
    for _ in range(50):
        base = random.randrange(20000, 60000, 10)
        try:
            for port in range(base + 1, base + 5):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free port range")


def http(
    method: str, url: str, body: dict[str, str] | None = None, token: str | None = None
) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_run_command_brings_everything_up_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    base = free_port_base()
    log = (tmp_path / "services.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.devstack",
            "--data-dir",
            str(tmp_path / "data"),
            "--pg-port",
            str(free_port()),
            "--kafka-port",
            str(free_port()),
            "--port-base",
            str(base),
            "--demo",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        assert proc.poll() is None, "".join(lines)
        output = "".join(lines)
        assert "demo data    5 members" in output
        for port in range(base + 1, base + 5):
            assert f"http://127.0.0.1:{port}/docs" in output
            status, body = http("GET", f"http://127.0.0.1:{port}/readyz")
            assert status == 200, body

        for username in ("qu.admin", "shequ.admin", "danwei.admin", "dangyuan", "ops"):
            assert username in output  # the demo accounts are printed
        members_url = f"http://127.0.0.1:{base + 1}"
        status, signed = http(
            "POST",
            f"{members_url}/auth/token",
            {"username": "shequ.admin", "password": "gongjian2026"},
        )
        assert status == 200 and isinstance(signed, dict), signed
        token = signed["access_token"]
        assert http("GET", f"{members_url}/organizations?kind=branch")[0] == 401
        status, page = http("GET", f"{members_url}/organizations?kind=branch", token=token)
        assert status == 200 and isinstance(page, dict), page
        branches = page["items"]
        assert branches, page
        status, member = http(
            "POST",
            f"{members_url}/members",
            {"name": "新来的", "home_organization_id": branches[0]["id"]},
            token=token,
        )
        assert status == 201, member
        assert isinstance(member, dict)
        registered = time.monotonic()
        pending = {base + 2, base + 3, base + 4}
        while pending and time.monotonic() - registered < 15:
            for port in list(pending):
                url = f"http://127.0.0.1:{port}/members/{member['id']}"
                if http("GET", url, token=token)[0] == 200:
                    pending.discard(port)
            time.sleep(0.02)
        assert not pending, f"not projected by ports {pending}"

        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 6  # PostgreSQL, Tansu and the four services (and pg workers)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        _, alive = psutil.wait_procs(children, timeout=10)
        assert alive == [], [p.cmdline() for p in alive]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
