"""Demo data for the run command: one community with a few members, through the API."""

from __future__ import annotations

import json
import urllib.request
import uuid

# Fixed ids so a newcomer can copy them from the README.
DEMO_DISTRICT = uuid.UUID("00000000-0000-4000-8000-000000000001")
DEMO_COMMUNITY = uuid.UUID("00000000-0000-4000-8000-000000000010")
DEMO_BRANCH = uuid.UUID("00000000-0000-4000-8000-000000000100")
DEMO_MEMBERS = ("王建国", "李秀英", "张卫东", "刘桂兰", "陈志强")


def load_demo(members_url: str) -> None:
    existing = _get(f"{members_url}/members?community_id={DEMO_COMMUNITY}")
    if existing:
        print(f"demo data    already present ({len(existing)} members)")
        return
    for name in DEMO_MEMBERS:
        _post(
            f"{members_url}/members",
            {
                "name": name,
                "district_id": str(DEMO_DISTRICT),
                "community_id": str(DEMO_COMMUNITY),
                "branch_id": str(DEMO_BRANCH),
            },
        )
    print(f"demo data    {len(DEMO_MEMBERS)} members in community {DEMO_COMMUNITY}")


def _get(url: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(url, timeout=10) as r:
        data: list[dict[str, object]] = json.load(r)
        return data


def _post(url: str, body: dict[str, str]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        r.read()
