"""Personal data never reaches the logs: a full flow through the API (registration,
search by mobile, duplicates, bad input, a unit's sync, sign-in attempts, projections
following) is run with the logs captured, and no mobile or ID number appears in them."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from stdnum.cn import ric

from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.orgtree import build_tree, member_body
from tests.platform import RunningService, eventually

pytestmark = pytest.mark.integration


def id_number(serial: int) -> str:
    body = f"11010519750101{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


MOBILES = ["13912345678", "13787654321", "15011112222", "18633334444"]
IDS = [id_number(i) for i in (11, 12, 13)]


async def test_no_mobile_or_id_number_in_the_logs_of_a_full_flow(
    platform: dict[str, RunningService], capfd: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    client = platform["members"].client
    tree = await build_tree(client)
    body = member_body(tree, "陈静", mobile=MOBILES[0], id_number=IDS[0], address="幸福路8号")
    created = await client.post("/members", json=body)
    assert created.status_code == 201, created.text
    member = created.json()

    assert (await client.get("/members", params={"q": MOBILES[0]})).status_code == 200
    twice = await client.post("/members", json=body)
    assert twice.status_code == 409
    changed = await client.patch(
        f"/members/{member['id']}", json={"version": 1, "mobile": MOBILES[1]}
    )
    assert changed.status_code == 200, changed.text
    bad_id = IDS[1][:-1] + ("0" if IDS[1][-1] != "0" else "1")
    refused = await client.post(
        "/members", json=member_body(tree, "林涛", mobile=MOBILES[2], id_number=bad_id)
    )
    assert refused.status_code == 422

    rows = [
        {
            "external_id": "E1",
            "name": "周敏",
            "id_number": IDS[2],
            "mobile": MOBILES[3],
            "community_id": str(tree.community),
        }
    ]
    client.grants.append(Grant(Role.unit_admin, tree.unit))  # units sync their own members
    synced = await client.post(f"/units/{tree.unit}/sync", json={"mode": "full", "members": rows})
    assert synced.status_code == 200, synced.text
    for password in ("wrong-1", "wrong-2"):
        signed = await client.post(
            "/auth/token", json={"username": MOBILES[0], "password": password}
        )
        assert signed.status_code == 401

    for name in ("activities", "scoring", "notify"):
        other = platform[name].client

        async def seen(other: Any = other) -> bool:
            return (await other.get(f"/members/{member['id']}")).status_code == 200

        await eventually(seen)

    out, err = capfd.readouterr()
    logs = out + err + caplog.text
    assert "organization.created" in logs  # the logs were captured at all
    for secret in [*MOBILES, *IDS, bad_id]:
        assert secret not in logs, f"personal data in the logs: {secret}"
