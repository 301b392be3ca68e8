"""Isolation everywhere: every endpoint of every service × every role × (own scope, a
sibling community, another district). A caller outside a scope must get exactly what
they would get for an id that exists nowhere (no 2xx, no 409 that betrays existence),
and no response may carry a name, mobile, ID number or id of a scope the caller can't
see. A route missing from the table below fails the test, so new endpoints join it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import bearer
from tests.platform import RunningService, eventually
from tests.world import Scope, World, build_world

pytestmark = pytest.mark.integration

STALE = 999_999
# Public by design: probes and signing in.
OPEN = {
    ("GET", "/livez"),
    ("GET", "/readyz"),
    ("POST", "/auth/token"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
}
PARAMS: dict[str, Callable[[Scope], Any]] = {
    "member_id": lambda s: s.member,
    "org_id": lambda s: s.branch,
    "organization_id": lambda s: s.community,
    "community_id": lambda s: s.community,
    "unit_id": lambda s: s.unit,
    "report_in_id": lambda s: s.report_in,
    "transfer_id": lambda s: s.transfer,
    "account_id": lambda s: s.account,
    "grant_id": lambda s: s.grant,
    "key_id": lambda s: s.key,
    "dead_letter_id": lambda s: 1,
}

Request = dict[str, Any]
# (method, path) -> the request's json / params / files for a target scope.
CALLS: dict[tuple[str, str], Callable[[Scope], Request]] = {
    ("GET", "/metrics"): lambda s: {},
    ("GET", "/ops/dead-letters"): lambda s: {},
    ("POST", "/ops/dead-letters/{dead_letter_id}/replay"): lambda s: {},
    ("GET", "/auth/me"): lambda s: {},
    ("POST", "/auth/password"): lambda s: {
        "json": {"old_password": "abcd1234", "new_password": "abcd12345"}
    },
    ("POST", "/accounts"): lambda s: {
        "json": {
            "username": f"m{uuid.uuid4().hex[:10]}",
            "display_name": "矩阵",
            "password": "abcd1234",
            "grants": [{"role": "branch_secretary", "node_id": str(s.branch)}],
        }
    },
    ("GET", "/accounts"): lambda s: {"params": {"q": "m"}},
    ("GET", "/accounts/{account_id}"): lambda s: {},
    ("POST", "/accounts/{account_id}/grants"): lambda s: {
        "json": {"role": "group_leader", "node_id": str(s.group)}
    },
    ("POST", "/accounts/{account_id}/grants/{grant_id}/revoke"): lambda s: {},
    ("POST", "/accounts/{account_id}/password"): lambda s: {"json": {"new_password": "abcd12345"}},
    ("POST", "/accounts/{account_id}/disable"): lambda s: {},
    ("POST", "/accounts/{account_id}/enable"): lambda s: {},
    ("GET", "/units/{unit_id}/api-keys"): lambda s: {},
    ("POST", "/units/{unit_id}/api-keys"): lambda s: {"json": {"name": "矩阵"}},
    ("POST", "/units/{unit_id}/api-keys/{key_id}/revoke"): lambda s: {},
    ("GET", "/members"): lambda s: {"params": {"organization_id": str(s.community)}},
    ("POST", "/members"): lambda s: {
        "json": {"name": "矩阵新党员", "home_organization_id": str(s.branch)}
    },
    ("GET", "/members/{member_id}"): lambda s: {},
    ("PATCH", "/members/{member_id}"): lambda s: {"json": {"version": STALE, "post": "x"}},
    ("POST", "/members/{member_id}/deactivate"): lambda s: {
        "json": {"version": STALE, "status": "deceased"}
    },
    ("POST", "/members/{member_id}/merge"): lambda s: {
        "json": {
            "duplicate_id": str(s.member2),
            "version": STALE,
            "duplicate_version": STALE,
            "reason": "矩阵",
        }
    },
    ("GET", "/members/{member_id}/history"): lambda s: {},
    ("GET", "/audit"): lambda s: {"params": {"organization_id": str(s.community)}},
    ("GET", "/me/member"): lambda s: {},
    ("GET", "/organizations"): lambda s: {"params": {"root_id": str(s.community)}},
    ("POST", "/organizations"): lambda s: {
        "json": {"kind": "branch", "name": "矩阵支部", "parent_id": str(s.committee)}
    },
    ("GET", "/organizations/{org_id}"): lambda s: {},
    # The projections' read route in activities, scoring and notify.
    ("GET", "/organizations/{organization_id}"): lambda s: {},
    ("PATCH", "/organizations/{org_id}"): lambda s: {"json": {"version": STALE, "name": "改"}},
    ("GET", "/organizations/{org_id}/children"): lambda s: {},
    ("POST", "/organizations/{org_id}/move"): lambda s: {
        "json": {"version": STALE, "parent_id": str(s.committee)}
    },
    ("POST", "/organizations/{org_id}/deactivate"): lambda s: {"json": {"version": STALE}},
    ("POST", "/onboarding/communities"): lambda s: {
        "json": {
            "district": {"id": str(s.district)},
            "street": {"id": str(s.street)},
            "community": {"name": "矩阵社区"},
        }
    },
    ("GET", "/organizations/{organization_id}/figures"): lambda s: {},
    ("POST", "/communities/{community_id}/roster/import"): lambda s: {
        "files": {"file": ("roster.csv", "姓名,所在支部\n".encode(), "text/csv")},
        "params": {"dry_run": "true"},
    },
    ("GET", "/communities/{community_id}/roster/export"): lambda s: {},
    ("POST", "/units/{unit_id}/sync"): lambda s: {"json": {"mode": "delta", "members": []}},
    ("POST", "/members/{member_id}/report-in"): lambda s: {
        "json": {"community_id": str(s.community)}
    },
    ("POST", "/report-ins/{report_in_id}/end"): lambda s: {"json": {"reason": "矩阵"}},
    ("GET", "/report-ins/{report_in_id}"): lambda s: {},
    ("GET", "/members/{member_id}/report-ins"): lambda s: {},
    ("GET", "/communities/{community_id}/report-ins"): lambda s: {},
    ("GET", "/units/{unit_id}/report-ins"): lambda s: {},
    ("GET", "/units/{unit_id}/report-in-rate"): lambda s: {},
    ("GET", "/transfers"): lambda s: {"params": {"organization_id": str(s.community)}},
    ("POST", "/transfers"): lambda s: {
        "json": {
            "member_id": str(s.member),
            "member_version": STALE,
            "to_organization_id": str(s.branch2),
        }
    },
    ("GET", "/transfers/{transfer_id}"): lambda s: {},
    ("POST", "/transfers/{transfer_id}/accept"): lambda s: {"json": {"version": STALE}},
    ("POST", "/transfers/{transfer_id}/cancel"): lambda s: {"json": {"version": STALE}},
    ("POST", "/transfers/{transfer_id}/reject"): lambda s: {
        "json": {"version": STALE, "answer": "矩阵"}
    },
    ("POST", "/transfers/{transfer_id}/return"): lambda s: {
        "json": {"version": STALE, "answer": "矩阵"}
    },
}


@dataclass(frozen=True)
class Caller:
    role: str
    headers: Callable[[World], dict[str, str]]
    sees_sibling: bool = False


CALLERS = (
    Caller("operations", lambda w: bearer(Grant(Role.operations))),
    Caller("member", lambda w: bearer(member_id=w.own.member)),
    Caller("api_key", lambda w: {"Authorization": f"Bearer {w.own.key_secret}"}),
    Caller("unit_admin", lambda w: bearer(Grant(Role.unit_admin, w.own.unit))),
    Caller("group_leader", lambda w: bearer(Grant(Role.group_leader, w.own.group))),
    Caller("branch_secretary", lambda w: bearer(Grant(Role.branch_secretary, w.own.branch))),
    Caller("community_admin", lambda w: bearer(Grant(Role.community_admin, w.own.community))),
    Caller("street_admin", lambda w: bearer(Grant(Role.street_admin, w.own.street)), True),
    Caller("district_admin", lambda w: bearer(Grant(Role.district_admin, w.own.district)), True),
)


def routes(service: RunningService) -> list[tuple[str, str]]:
    paths = service.app.openapi()["paths"]
    return sorted(
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if (method.upper(), path) not in OPEN
    )


async def call(
    service: RunningService, route: tuple[str, str], scope: Scope, headers: dict[str, str]
) -> Any:
    method, template = route
    path = re.sub(r"\{(\w+)\}", lambda m: str(PARAMS[m.group(1)](scope)), template)
    return await service.client.request(method, path, headers=headers, **CALLS[route](scope))


async def test_no_endpoint_leaks_across_communities_or_districts(
    platform: dict[str, RunningService],
) -> None:
    world = await build_world(platform["members"].client)
    for name in ("activities", "scoring", "notify"):  # projections have caught up
        client = platform[name].client

        async def seen(client: Any = client) -> bool:
            r = await client.get(f"/members/{world.other.member}")
            return r.status_code == 200

        await eventually(seen)

    missing = [r for s in platform.values() for r in routes(s) if r not in CALLS]
    assert not missing, f"routes without an access-matrix entry: {missing}"

    nowhere = world.own.missing()
    targets = (("own", world.own), ("sibling", world.sibling), ("other", world.other))
    leaks: list[str] = []
    for caller in CALLERS:
        headers = caller.headers(world)
        hidden = [world.other] + ([] if caller.sees_sibling else [world.sibling])
        forbidden = [secret for scope in hidden for secret in scope.secrets]
        for service in platform.values():
            for route in routes(service):
                reference = await call(service, route, nowhere, headers)
                for label, scope in targets:
                    response = await call(service, route, scope, headers)
                    where = f"{caller.role} {route[0]} {service.name}{route[1]} [{label}]"
                    if response.status_code >= 500:
                        leaks.append(f"{where}: {response.status_code}")
                    if scope in hidden and response.status_code != reference.status_code:
                        leaks.append(
                            f"{where}: {response.status_code}, but {reference.status_code} "
                            "for an id that exists nowhere"
                        )
                    text = response.text
                    leaks.extend(f"{where}: shows {s!r}" for s in forbidden if s in text)
    assert not leaks, "\n".join(leaks)
