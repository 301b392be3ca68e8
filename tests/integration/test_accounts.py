"""Accounts: password sign-in, access and refresh tokens (rotation, reuse, sign-out),
throttling, grants within the granter's reach, unit API keys, and the operators' CLI."""

from __future__ import annotations

from typing import Any

import pytest

from services.members.settings import MembersSettings
from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import bearer
from tests.orgtree import Tree, build_tree
from tests.platform import RunningService, run_members_cli, running

pytestmark = pytest.mark.integration
PASSWORD = "abcd1234"


@pytest.fixture
async def members(settings_for: Any) -> Any:
    settings = await settings_for(MembersSettings)
    settings = settings.model_copy(update={"sign_in_failures_per_username": "3/minute"})
    async with running("members", settings, worker=False) as service:
        yield service


async def make_account(
    client: Any, username: str, grants: list[dict[str, Any]], **more: Any
) -> Any:
    body = {"username": username, "display_name": "测试", "password": PASSWORD, "grants": grants}
    response = await client.post("/accounts", json=body | more)
    assert response.status_code == 201, response.text
    return response.json()


async def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    return await client.post("/auth/token", json={"username": username, "password": password})


async def test_sign_in_refresh_rotation_and_sign_out(members: RunningService) -> None:
    client = members.client
    tree = await build_tree(client)
    grant = {"role": "community_admin", "node_id": str(tree.community)}
    await make_account(client, "Shequ.Admin", [grant])

    signed = await sign_in(client, "shequ.admin")  # usernames are case-insensitive
    assert signed.status_code == 200, signed.text
    pair = signed.json()
    assert pair["account"]["grants"][0]["role"] == "community_admin"
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    me = await client.get("/auth/me", headers=auth)
    assert me.status_code == 200 and me.json()["username"] == "shequ.admin"
    # The token works on another service too: verified with the public key alone.
    assert (await client.get(f"/organizations/{tree.community}", headers=auth)).status_code == 200

    rotated = await client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200
    new = rotated.json()
    # The old refresh token again: it was copied; every token of the account is revoked.
    reused = await client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401
    after = await client.post("/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert after.status_code == 401

    again = (await sign_in(client, "shequ.admin")).json()
    out = await client.post("/auth/logout", json={"refresh_token": again["refresh_token"]})
    assert out.status_code == 204
    gone = await client.post("/auth/refresh", json={"refresh_token": again["refresh_token"]})
    assert gone.status_code == 401

    no_token = await client.get("/members", headers={"Authorization": ""})
    assert no_token.status_code == 401 and no_token.json()["error"]["code"] == "unauthenticated"
    forged = await client.get("/members", headers={"Authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401


async def test_sign_in_is_throttled_after_failures(members: RunningService) -> None:
    client = members.client
    tree = await build_tree(client)
    await make_account(client, "zhibu", [{"role": "branch_secretary", "node_id": str(tree.branch)}])
    for _ in range(3):
        wrong = await sign_in(client, "zhibu", "wrong-password1")
        assert wrong.status_code == 401
        assert wrong.json()["error"]["message"] == "用户名或密码不正确"
    blocked = await sign_in(client, "zhibu")  # even the right password waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    unknown = await sign_in(client, "nobody", "wrong-password1")
    assert unknown.status_code == 401  # an unknown name answers like a wrong password


async def test_grants_stay_within_the_granters_reach(members: RunningService) -> None:
    client = members.client
    tree = await build_tree(client)
    secretary = {"role": "branch_secretary", "node_id": str(tree.branch)}
    made = await make_account(client, "shuji", [secretary])
    community_admin = bearer(Grant(Role.community_admin, tree.community))
    # A community admin may grant a group leader in the community ...
    ok = await client.post(
        f"/accounts/{made['id']}/grants",
        json={"role": "group_leader", "node_id": str(tree.group)},
        headers=community_admin,
    )
    assert ok.status_code == 201, ok.text
    # ... not a role above their own, not in another community, not on the wrong level.
    above = await client.post(
        f"/accounts/{made['id']}/grants",
        json={"role": "street_admin", "node_id": str(tree.street)},
        headers=community_admin,
    )
    assert above.status_code == 404  # the street is outside their reach
    higher = await client.post(
        "/accounts",
        json={
            "username": "higher1",
            "display_name": "x",
            "password": PASSWORD,
            "grants": [{"role": "district_admin", "node_id": str(tree.district)}],
        },
        headers=community_admin,
    )
    assert higher.status_code == 404
    sibling = await client.post(
        f"/accounts/{made['id']}/grants",
        json={"role": "branch_secretary", "node_id": str(tree.other_branch)},
        headers=community_admin,
    )
    assert sibling.status_code == 404
    wrong_level = await client.post(
        f"/accounts/{made['id']}/grants",
        json={"role": "group_leader", "node_id": str(tree.branch)},
        headers=community_admin,
    )
    assert wrong_level.status_code == 422
    weak = await client.post(
        "/accounts",
        json={"username": "weak", "display_name": "x", "password": "12345678", "grants": []},
    )
    assert weak.status_code == 422
    taken = await client.post(
        "/accounts",
        json={
            "username": "shuji",
            "display_name": "x",
            "password": PASSWORD,
            "grants": [secretary],
        },
    )
    assert taken.status_code == 409

    revoked = await client.post(f"/accounts/{made['id']}/grants/{ok.json()['id']}/revoke")
    assert revoked.status_code == 204
    account = (await client.get(f"/accounts/{made['id']}")).json()
    assert [g["role"] for g in account["grants"]] == ["branch_secretary"]


async def test_an_account_with_a_higher_grant_cannot_be_taken_over_from_below(
    members: RunningService,
) -> None:
    """The takeover found in the district trial: a community admin reset the password of
    an account that also held a street grant, then signed in with the street's reach."""
    client = members.client
    tree = await build_tree(client)
    community_admin = bearer(Grant(Role.community_admin, tree.community))
    street_admin = bearer(Grant(Role.street_admin, tree.street))
    # A street admin who is also a group leader in the community.
    both = await make_account(
        client,
        "jiedao.zuzhang",
        [
            {"role": "street_admin", "node_id": str(tree.street)},
            {"role": "group_leader", "node_id": str(tree.group)},
        ],
    )
    grant_of = {g["role"]: g["id"] for g in both["grants"]}
    for path, body in (
        ("", None),
        ("/password", {"new_password": "taken0ver!"}),
        ("/disable", None),
        ("/grants", {"role": "branch_secretary", "node_id": str(tree.branch)}),
        (f"/grants/{grant_of['group_leader']}/revoke", None),
    ):
        method = "GET" if not path else "POST"
        answer = await client.request(
            method, f"/accounts/{both['id']}{path}", json=body, headers=community_admin
        )
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["error"]["message"] == "未找到该账号"
    assert (await sign_in(client, "jiedao.zuzhang", "taken0ver!")).status_code == 401
    assert (await sign_in(client, "jiedao.zuzhang")).status_code == 200
    # A peer street admin can't either; the district admin (the test client) can.
    peer = await client.post(
        f"/accounts/{both['id']}/password",
        json={"new_password": "taken0ver!"},
        headers=street_admin,
    )
    assert peer.status_code == 404
    reset = await client.post(f"/accounts/{both['id']}/password", json={"new_password": "n3wpass!"})
    assert reset.status_code == 204

    # Once the street grant is revoked, the community's own admin is in charge again.
    revoked = await client.post(f"/accounts/{both['id']}/grants/{grant_of['street_admin']}/revoke")
    assert revoked.status_code == 204
    view = await client.get(f"/accounts/{both['id']}", headers=community_admin)
    assert view.status_code == 200


async def test_a_members_own_account_with_a_street_grant_is_the_districts_to_manage(
    members: RunningService,
) -> None:
    client = members.client
    tree = await build_tree(client)
    member = await client.post(
        "/members", json={"name": "兼职党员", "home_organization_id": str(tree.branch)}
    )
    assert member.status_code == 201, member.text
    account = await make_account(
        client,
        "dangyuan.jiedao",
        [{"role": "street_admin", "node_id": str(tree.street)}],
        member_id=member.json()["id"],
    )
    community_admin = bearer(Grant(Role.community_admin, tree.community))
    answer = await client.post(
        f"/accounts/{account['id']}/password",
        json={"new_password": "taken0ver!"},
        headers=community_admin,
    )
    assert answer.status_code == 404
    # Disabled by the district: no sign-in, no refresh.
    signed = (await sign_in(client, "dangyuan.jiedao")).json()
    disabled = await client.post(f"/accounts/{account['id']}/disable")
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    assert (await sign_in(client, "dangyuan.jiedao")).status_code == 401
    refreshed = await client.post("/auth/refresh", json={"refresh_token": signed["refresh_token"]})
    assert refreshed.status_code == 401
    enabled = await client.post(f"/accounts/{account['id']}/enable")
    assert enabled.json()["status"] == "active"
    assert (await sign_in(client, "dangyuan.jiedao")).status_code == 200


async def test_unit_api_keys_shown_once_hashed_scoped_and_revocable(
    members: RunningService, db_conn: Any
) -> None:
    client = members.client
    tree: Tree = await build_tree(client)
    created = await client.post(f"/units/{tree.unit}/api-keys", json={"name": "人事系统"})
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["key"].startswith("gjk_") and key["prefix"] == key["key"][:12]
    listed = (await client.get(f"/units/{tree.unit}/api-keys")).json()["items"]
    assert "key" not in listed[0] and listed[0]["last_used_at"] is None
    conn = await db_conn(members.settings.database_url)
    stored = await conn.fetchval("SELECT secret_hash FROM api_key WHERE id = $1", key["id"])
    assert key["key"] not in stored

    as_unit = {"Authorization": f"Bearer {key['key']}"}
    rate = await client.get(f"/units/{tree.unit}/report-in-rate", headers=as_unit)
    assert rate.status_code == 200, rate.text
    assert (await client.get("/members", headers=as_unit)).status_code == 403
    used = (await client.get(f"/units/{tree.unit}/api-keys")).json()["items"]
    assert used[0]["last_used_at"] is not None

    revoked = await client.post(f"/units/{tree.unit}/api-keys/{key['id']}/revoke")
    assert revoked.status_code == 200
    after = await client.get(f"/units/{tree.unit}/report-in-rate", headers=as_unit)
    assert after.status_code == 401


async def test_operators_create_a_district_and_its_first_admin_from_the_cli(
    members: RunningService,
) -> None:
    url = members.settings.database_url
    code, out, err = await run_members_cli(url, "create-district", "新区")
    assert code == 0, err
    district = out.strip()
    again = await run_members_cli(url, "create-district", "新区")
    assert again[1].strip() == district  # idempotent
    code, out, err = await run_members_cli(
        url,
        "create-account",
        "qu.admin",
        "--role",
        "district_admin",
        "--node",
        district,
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code == 0 and "已创建账号" in out, err
    signed = await sign_in(members.client, "qu.admin")
    assert signed.status_code == 200
    token = signed.json()["access_token"]
    children = await members.client.get(
        f"/organizations/{district}", headers={"Authorization": f"Bearer {token}"}
    )
    assert children.status_code == 200
