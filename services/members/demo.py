"""Demo data for the run command (``scripts/run --demo``): a district with one
community's tree, a few members and an account for every role, so a newcomer can sign
in as each of them. The district and its first admin are created as the operators do
(the ``create-district`` / ``create-account`` code); the rest through the API, signed
in as that admin. Development only."""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from services.members.accounts.bootstrap import ensure_account, ensure_district
from services.members.app import SPEC
from services.members.settings import MembersSettings
from shared.auth.roles import ROLE_LABELS, Role
from shared.db import create_engine, session_factory, unit_of_work
from shared.writes import write_context

DEMO_DISTRICT = "示范区"

# (name, gender, birth date, mobile, categories, branch key, education, specialties, joined)
DEMO_MEMBERS = (
    (
        "王建国",
        "male",
        "1952-03-14",
        "13800000001",
        ["retired"],
        "retired",
        "secondary",
        ["调解"],
        "1975-07-01",
    ),
    (
        "李秀英",
        "female",
        "1958-09-02",
        "13800000002",
        ["retired", "community"],
        "retired",
        "college",
        ["政策宣传"],
        "1983-06-20",
    ),
    (
        "张卫东",
        "male",
        "1979-11-23",
        "13800000003",
        ["in_service"],
        "first",
        "bachelor",
        ["法律", "双语培训"],
        "2001-05-04",
    ),
    (
        "刘桂兰",
        "female",
        "1966-01-30",
        "13800000004",
        ["community"],
        "first",
        "junior_or_below",
        ["家政服务"],
        "1990-10-01",
    ),
    (
        "陈志强",
        "male",
        "1985-04-18",
        "13800000005",
        ["veteran", "community"],
        "first",
        "college",
        ["治安巡逻"],
        "2006-12-12",
    ),
)


# Demo accounts share one password (development only; the API refuses weak ones).
DEMO_PASSWORD = "gongjian2026"


async def _bootstrap(settings: MembersSettings) -> str:
    """The district and its admin, and the operations account: the operators' part."""
    engine = create_engine(settings.database_url, pool_size=1)
    ctx = write_context(SPEC, settings, actor="cli:demo")
    try:
        async with unit_of_work(session_factory(engine)) as session:
            district = await ensure_district(session, DEMO_DISTRICT, ctx)
            for username, role, node in (
                ("qu.admin", Role.district_admin, district.id),
                ("ops", Role.operations, None),
            ):
                await ensure_account(
                    session,
                    username=username,
                    display_name=ROLE_LABELS[role],
                    password=DEMO_PASSWORD,
                    role=role,
                    node_id=node,
                    ctx=ctx,
                )
            return str(district.id)
    finally:
        await engine.dispose()


def load_demo(settings: MembersSettings, members_url: str) -> None:
    if settings.environment == "production":
        raise RuntimeError("demo data is for development only")
    district = asyncio.run(_bootstrap(settings))
    token = _sign_in(members_url, "qu.admin")
    call = _caller(members_url, token)
    if call("GET", f"/organizations?root_id={district}&kind=community&limit=1")["items"]:
        print("demo data    already present")
        _print_accounts()
        return

    def org(kind: str, name: str, parent: str, **extra: Any) -> str:
        body = {"kind": kind, "name": name, "parent_id": parent, **extra}
        return str(call("POST", "/organizations", body)["id"])

    street = org("street", "东城街道", district)
    community = org("community", "幸福社区", street)
    committee = org("committee", "幸福社区党委", community)
    branches = {
        "first": org("branch", "第一党支部", committee),
        "retired": org("branch", "退休党员支部", committee),
    }
    group = org("group", "第一党小组", branches["first"])
    unit = org("unit", "区教育局党委", district, co_building_community_ids=[community])
    member_ids = []
    for name, gender, born, mobile, cats, branch, edu, skills, joined in DEMO_MEMBERS:
        created = call(
            "POST",
            "/members",
            {
                "name": name,
                "gender": gender,
                "birth_date": born,
                "mobile": mobile,
                "categories": cats,
                "home_organization_id": branches[branch],
                "education": edu,
                "specialties": skills,
                "joined_at": joined,
            },
        )
        member_ids.append(created["id"])
    for username, role, node, member in (
        ("jiedao.admin", Role.street_admin, street, None),
        ("shequ.admin", Role.community_admin, community, None),
        ("zhibu.shuji", Role.branch_secretary, branches["first"], None),
        ("xiaozu.zuzhang", Role.group_leader, group, None),
        ("danwei.admin", Role.unit_admin, unit, None),
        ("dangyuan", None, None, member_ids[0]),
    ):
        body: dict[str, Any] = {
            "username": username,
            "display_name": ROLE_LABELS[role] if role else "党员 王建国",
            "password": DEMO_PASSWORD,
            "grants": [{"role": role.value, "node_id": node}] if role else [],
        }
        if member:
            body["member_id"] = member
        call("POST", "/accounts", body)
    print(f"demo data    {len(DEMO_MEMBERS)} members in community 幸福社区 ({community})")
    _print_accounts()


def _print_accounts() -> None:
    print(f"demo accounts (password for all: {DEMO_PASSWORD}; POST /auth/token on members):")
    for username, label in (
        ("qu.admin", "区级管理员 · 示范区"),
        ("jiedao.admin", "街道管理员 · 东城街道"),
        ("shequ.admin", "社区管理员 · 幸福社区"),
        ("zhibu.shuji", "支部书记 · 第一党支部"),
        ("xiaozu.zuzhang", "党小组长 · 第一党小组"),
        ("danwei.admin", "单位党组织管理员 · 区教育局党委"),
        ("dangyuan", "党员本人 · 王建国"),
        ("ops", "运维 · 指标与死信"),
    ):
        print(f"  {username:<16} {label}")


def _sign_in(members_url: str, username: str) -> str:
    answer = _caller(members_url, None)(
        "POST", "/auth/token", {"username": username, "password": DEMO_PASSWORD}
    )
    return str(answer["access_token"])


def _caller(members_url: str, token: str | None) -> Any:
    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            members_url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"demo data: {method} {path} answered {e.code}: {e.read()!r}") from e

    return call


def demo_command(settings: MembersSettings, args: Sequence[str]) -> int:
    """URL — load the demo district, members and an account per role (development only)"""
    if len(args) != 1:
        print("usage: python -m services.members demo http://127.0.0.1:8001", file=sys.stderr)
        return 2
    load_demo(settings, args[0])
    return 0
