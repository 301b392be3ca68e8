"""The other half of the access matrix (``test_access_matrix.py``): what each role *can*
do in its own scope, so that a route answering 404 to everyone cannot pass; accounts
that only an admin outranking every grant they hold may touch; and each route's declared
security (OpenAPI) matching what it enforces."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.test_access_matrix import CALLERS, call, routes
from tests.platform import RunningService, eventually
from tests.world import Scope, World, build_world

pytestmark = pytest.mark.integration

ADMINS = {"community_admin", "street_admin", "district_admin"}
# (service, GET route) -> the roles that must read the own scope's target with a 200.
# Targets are those of ``PARAMS`` in the matrix: the branch's member, the community, the
# unit with its in-service member and report-in, a pending transfer within the branch.
READS: dict[tuple[str, str], set[str]] = {
    ("members", "/metrics"): {"operations"},
    ("members", "/ops/dead-letters"): {"operations"},
    # The callers here hold tokens of accounts that don't exist (test_accounts.py signs
    # in for real and reads /auth/me).
    ("members", "/auth/me"): set(),
    ("members", "/accounts"): ADMINS | {"unit_admin"},
    ("members", "/accounts/{account_id}"): {"street_admin", "district_admin"},
    # Units hang under the district: a street doesn't oversee them; a community the unit
    # co-builds with manages its keys, but the unit's report-ins elsewhere are its own.
    ("members", "/units/{unit_id}/api-keys"): {"district_admin", "community_admin", "unit_admin"},
    ("members", "/members"): ADMINS,
    ("members", "/members/{member_id}"): ADMINS | {"branch_secretary", "member"},
    ("members", "/members/{member_id}/history"): ADMINS,
    ("members", "/audit"): ADMINS,
    ("members", "/me/member"): {"member"},
    ("members", "/organizations"): ADMINS,
    ("members", "/organizations/{org_id}"): ADMINS | {"branch_secretary"},
    ("members", "/organizations/{org_id}/children"): ADMINS | {"branch_secretary"},
    ("members", "/organizations/{organization_id}/figures"): ADMINS,
    ("members", "/communities/{community_id}/roster/export"): ADMINS,
    ("members", "/report-ins/{report_in_id}"): ADMINS | {"unit_admin"},
    ("members", "/members/{member_id}/report-ins"): ADMINS | {"branch_secretary", "member"},
    ("members", "/communities/{community_id}/report-ins"): ADMINS,
    ("members", "/units/{unit_id}/report-ins"): {"district_admin", "unit_admin", "api_key"},
    ("members", "/units/{unit_id}/report-in-rate"): {"district_admin", "unit_admin", "api_key"},
    ("members", "/transfers"): ADMINS,
    ("members", "/transfers/{transfer_id}"): ADMINS | {"branch_secretary"},
    **{
        (service, route): roles
        for service in ("activities", "scoring", "notify")
        for route, roles in (
            ("/metrics", {"operations"}),
            ("/ops/dead-letters", {"operations"}),
            ("/members/{member_id}", ADMINS | {"branch_secretary", "member"}),
            ("/organizations/{organization_id}", ADMINS),
        )
    },
}


async def _world(platform: dict[str, RunningService]) -> World:
    world = await build_world(platform["members"].client)
    for name in ("activities", "scoring", "notify"):  # projections have caught up
        client = platform[name].client

        async def seen(client: Any = client) -> bool:
            r = await client.get(f"/members/{world.other.member}")
            return r.status_code == 200

        await eventually(seen)
    return world


async def test_each_role_reads_what_it_should_in_its_own_scope(
    platform: dict[str, RunningService],
) -> None:
    world = await _world(platform)
    gets = {
        (service.name, route[1])
        for service in platform.values()
        for route in routes(service)
        if route[0] == "GET"
    }
    assert not gets - READS.keys(), f"GET routes without expected readers: {gets - READS.keys()}"
    wrong: list[str] = []
    for caller in CALLERS:
        headers = caller.headers(world)
        for service in platform.values():
            for route in routes(service):
                if route[0] != "GET":
                    continue
                response = await call(service, route, world.own, headers)
                should = caller.role in READS[(service.name, route[1])]
                if should != (response.status_code == 200):
                    wrong.append(
                        f"{caller.role} GET {service.name}{route[1]}: {response.status_code}"
                        f" (expected {'200' if should else 'no access'})"
                    )
    assert not wrong, "\n".join(wrong)


# The accounts of the own scope, and who is in charge of each (outranks every grant it
# holds and has its member in reach).
ACCOUNTS: dict[str, set[str]] = {
    "account": {"street_admin", "district_admin"},  # a community admin: peers can't
    "account_multi": {"district_admin"},  # street admin + group leader in the community
    "account_member": ADMINS,  # the member's own account
    "account_member_street": {"district_admin"},  # a member's account with a street grant
}


async def _account_calls(
    members: RunningService, scope: Scope, account: uuid.UUID, headers: dict[str, str]
) -> list[tuple[str, int]]:
    """Every account route on ``account``: (what, status)."""
    client = members.client
    base = f"/accounts/{account}"
    answers = [
        ("view", (await client.get(base, headers=headers)).status_code),
        (
            "password",
            (
                await client.post(
                    f"{base}/password", json={"new_password": "taken0ver!"}, headers=headers
                )
            ).status_code,
        ),
        ("disable", (await client.post(f"{base}/disable", headers=headers)).status_code),
        ("enable", (await client.post(f"{base}/enable", headers=headers)).status_code),
    ]
    granted = await client.post(
        f"{base}/grants",
        json={"role": "branch_secretary", "node_id": str(scope.branch2)},
        headers=headers,
    )
    answers.append(("grant", granted.status_code))
    grant_id = granted.json()["id"] if granted.status_code == 201 else uuid.uuid4()
    revoked = await client.post(f"{base}/grants/{grant_id}/revoke", headers=headers)
    answers.append(("revoke", revoked.status_code))
    return answers


async def test_an_admin_acts_on_an_account_only_when_outranking_every_grant(
    platform: dict[str, RunningService],
) -> None:
    world = await _world(platform)
    members = platform["members"]
    nowhere = world.own.missing().account
    managers = [c for c in CALLERS if c.role in ADMINS | {"unit_admin"}]
    wrong: list[str] = []
    for caller in managers:
        headers = caller.headers(world)
        reference = dict(await _account_calls(members, world.own, nowhere, headers))
        page = await members.client.get("/accounts", params={"limit": 200}, headers=headers)
        listed = {a["id"] for a in page.json()["items"]}
        for field, in_charge in ACCOUNTS.items():
            if (str(getattr(world.own, field)) in listed) != (caller.role in in_charge):
                wrong.append(f"{caller.role} lists {field}: {caller.role not in in_charge}")
        for field, in_charge in ACCOUNTS.items():
            account = getattr(world.own, field)
            for what, status in await _account_calls(members, world.own, account, headers):
                expected = {"view": 200, "password": 204, "disable": 200, "enable": 200}
                want = (
                    expected.get(what, 201 if what == "grant" else 204)
                    if caller.role in in_charge
                    else reference[what]
                )
                if status != want:
                    wrong.append(f"{caller.role} {what} {field}: {status}, expected {want}")
    assert not wrong, "\n".join(wrong)


async def test_declared_security_matches_what_each_route_enforces(
    platform: dict[str, RunningService],
) -> None:
    world = await _world(platform)
    key = {"X-API-Key": world.own.key_secret}
    wrong: list[str] = []
    for service in platform.values():
        document = service.app.openapi()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                route = (method.upper(), path)
                where = f"{route[0]} {service.name}{path}"
                if "security" not in operation:
                    wrong.append(f"{where}: declares no security (open routes declare [])")
                    continue
                schemes = {name for requirement in operation["security"] for name in requirement}
                refused = await _refused_anonymously(service, route, world)
                if not schemes and refused:
                    wrong.append(f"{where}: declared open, answers 401 without sign-in")
                if schemes and not refused:
                    wrong.append(f"{where}: declares {schemes}, serves anonymous callers")
                if not schemes:
                    continue
                with_key = await call(service, route, world.own, key)
                key_refused = with_key.status_code in (401, 403) and with_key.json()["error"][
                    "message"
                ].startswith("API 密钥")
                if ("unitApiKey" in schemes) == key_refused:
                    wrong.append(
                        f"{where}: declares {schemes}, answers {with_key.status_code} to a key"
                    )
    assert not wrong, "\n".join(wrong)


OPEN_CALLS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/livez"): {},
    ("GET", "/readyz"): {},
    ("POST", "/auth/token"): {"json": {"username": "nobody", "password": "wrong-password1"}},
    ("POST", "/auth/refresh"): {"json": {"refresh_token": "gjr_nothing"}},
    ("POST", "/auth/logout"): {"json": {"refresh_token": "gjr_nothing"}},
}


async def _refused_anonymously(
    service: RunningService, route: tuple[str, str], world: World
) -> bool:
    """Whether the route answers "sign in first" without credentials (a wrong password on
    the open sign-in route is a 401 about the password, not a refusal of the route)."""
    anonymous = {"Authorization": ""}
    if route in OPEN_CALLS:
        response = await service.client.request(
            route[0], route[1], headers=anonymous, **OPEN_CALLS[route]
        )
    else:
        response = await call(service, route, world.own, anonymous)
    return response.status_code == 401 and response.json()["error"]["message"] == "请先登录"
