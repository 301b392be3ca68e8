"""A platform-sized world for access tests: two districts; in district 甲 a street with
the caller's own community and a sibling community; in district 乙 another community.
Each scope holds members, a unit with an in-service member reported in, a pending
transfer, a staff account and a unit API key — built through the API by the test admin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields, replace
from typing import Any

from stdnum.cn import ric

from tests.orgtree import create_district, create_org
from tests.platform import ServiceClient


@dataclass(frozen=True)
class Scope:
    """The ids of one community's things (a target of the matrix)."""

    district: uuid.UUID
    street: uuid.UUID
    community: uuid.UUID
    committee: uuid.UUID
    branch: uuid.UUID
    branch2: uuid.UUID
    group: uuid.UUID
    unit: uuid.UUID
    member: uuid.UUID
    member2: uuid.UUID
    unit_member: uuid.UUID
    report_in: uuid.UUID
    transfer: uuid.UUID
    account: uuid.UUID  # a community admin of this community
    grant: uuid.UUID
    # Accounts an admin may act on only when it outranks every grant they hold:
    account_multi: uuid.UUID  # street admin of the street and group leader in the community
    account_member: uuid.UUID  # the member's own account, no grant
    account_member_street: uuid.UUID  # member2's own account, also a street admin
    key: uuid.UUID
    # The unit's API key (shown once at creation).
    key_secret: str = ""
    # Strings that must never reach a caller who can't see this scope.
    secrets: tuple[str, ...] = ()

    def missing(self) -> Scope:
        """The same shape with ids that exist nowhere."""
        ids: dict[str, Any] = {
            f.name: uuid.uuid4() for f in fields(self) if f.name not in ("secrets", "key_secret")
        }
        return replace(self, **ids, secrets=())


def id_number(serial: int) -> str:
    body = f"11010519800101{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def _ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def build_scope(
    client: ServiceClient, tag: str, serial: int, district: uuid.UUID, street: uuid.UUID
) -> Scope:
    community = await create_org(client, "community", f"{tag}社区", street)
    committee = await create_org(client, "committee", f"{tag}社区党委", community)
    branch = await create_org(client, "branch", f"{tag}第一支部", committee)
    branch2 = await create_org(client, "branch", f"{tag}第二支部", committee)
    group = await create_org(client, "group", f"{tag}第一小组", branch)
    unit = await create_org(
        client, "unit", f"{tag}单位党委", district, co_building_community_ids=[str(community)]
    )
    name = f"{tag}党员"
    mobile = f"1390000{serial:04d}"
    member = _ok(
        await client.post(
            "/members",
            json={
                "name": name,
                "home_organization_id": str(branch),
                "mobile": mobile,
                "id_number": id_number(serial),
                "address": f"{tag}路{serial}号",
            },
        )
    )
    member2 = _ok(
        await client.post(
            "/members", json={"name": f"{tag}党员二", "home_organization_id": str(branch)}
        )
    )
    unit_member = _ok(
        await client.post(
            "/members",
            json={
                "name": f"{tag}在职党员",
                "home_organization_id": str(unit),
                "community_id": str(community),
                "categories": ["in_service"],
            },
        )
    )
    report_in = _ok(
        await client.post(
            f"/members/{unit_member['id']}/report-in", json={"community_id": str(community)}
        )
    )
    transfer = _ok(
        await client.post(
            "/transfers",
            json={
                "member_id": member2["id"],
                "member_version": member2["version"],
                "to_organization_id": str(branch2),
                "reason": "搬家",
            },
        )
    )
    account = _ok(
        await client.post(
            "/accounts",
            json={
                "username": f"admin{serial}",
                "display_name": f"{tag}管理员",
                "password": "abcd1234",
                "grants": [{"role": "community_admin", "node_id": str(community)}],
            },
        )
    )
    account_multi = await _account(
        client,
        f"multi{serial}",
        [("street_admin", street), ("group_leader", group)],
    )
    account_member = await _account(client, f"member{serial}", [], member_id=member["id"])
    account_member_street = await _account(
        client, f"mstreet{serial}", [("street_admin", street)], member_id=member2["id"]
    )
    key = _ok(await client.post(f"/units/{unit}/api-keys", json={"name": f"{tag}系统"}))
    return Scope(
        district=district,
        street=street,
        community=community,
        committee=committee,
        branch=branch,
        branch2=branch2,
        group=group,
        unit=unit,
        member=uuid.UUID(member["id"]),
        member2=uuid.UUID(member2["id"]),
        unit_member=uuid.UUID(unit_member["id"]),
        report_in=uuid.UUID(report_in["id"]),
        transfer=uuid.UUID(transfer["id"]),
        account=uuid.UUID(account["id"]),
        grant=uuid.UUID(account["grants"][0]["id"]),
        account_multi=account_multi,
        account_member=account_member,
        account_member_street=account_member_street,
        key=uuid.UUID(key["id"]),
        key_secret=key["key"],
        secrets=(name, mobile, id_number(serial), member["id"], str(community), str(unit)),
    )


async def _account(
    client: ServiceClient,
    username: str,
    grants: list[tuple[str, uuid.UUID]],
    member_id: str | None = None,
) -> uuid.UUID:
    body = {
        "username": username,
        "display_name": username,
        "password": "abcd1234",
        "grants": [{"role": role, "node_id": str(node)} for role, node in grants],
        "member_id": member_id,
    }
    return uuid.UUID(_ok(await client.post("/accounts", json=body))["id"])


@dataclass(frozen=True)
class World:
    own: Scope
    sibling: Scope
    other: Scope


async def build_world(client: ServiceClient) -> World:
    tag = uuid.uuid4().hex[:4]
    district_a = await create_district(client, f"甲区{tag}")
    street_a = await create_org(client, "street", "甲街道", district_a)
    district_b = await create_district(client, f"乙区{tag}")
    street_b = await create_org(client, "street", "乙街道", district_b)
    own = await build_scope(client, "本", 11, district_a, street_a)
    sibling = await build_scope(client, "邻", 22, district_a, street_a)
    other = await build_scope(client, "外", 33, district_b, street_b)
    return World(own, sibling, other)
