"""Demo data for the run command: a district with one community's tree and a few
members, created through the members API as staff would."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

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


def load_demo(members_url: str) -> None:
    districts = _call("GET", f"{members_url}/organizations?kind=district")
    if any(d["name"] == DEMO_DISTRICT for d in districts):
        print("demo data    already present")
        return
    org = _org_creator(members_url)
    district = org("district", DEMO_DISTRICT, None)
    street = org("street", "东城街道", district)
    community = org("community", "幸福社区", street)
    committee = org("committee", "幸福社区党委", community)
    branches = {
        "first": org("branch", "第一党支部", committee),
        "retired": org("branch", "退休党员支部", committee),
    }
    org("group", "第一党小组", branches["first"])
    org("unit", "区教育局党委", district, co_building_community_ids=[community])
    for name, gender, born, mobile, cats, branch, edu, skills, joined in DEMO_MEMBERS:
        _call(
            "POST",
            f"{members_url}/members",
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
    print(f"demo data    {len(DEMO_MEMBERS)} members in community 幸福社区 ({community})")


def _org_creator(members_url: str) -> Any:
    def create(kind: str, name: str, parent: str | None, **extra: Any) -> str:
        body = {"kind": kind, "name": name, "parent_id": parent, **extra}
        created: dict[str, Any] = _call("POST", f"{members_url}/organizations", body)
        return str(created["id"])

    return create


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"demo data: {method} {url} answered {e.code}: {e.read()!r}") from e
