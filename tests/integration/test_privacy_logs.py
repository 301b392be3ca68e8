"""Personal data never reaches the logs: a full flow through the API (registration,
search by mobile, duplicates, bad input, a unit's sync, sign-in attempts, projections
following, and two unexpected errors whose tracebacks quote the refused rows) is run with
the logs captured, and no mobile, ID number, address or password hash appears in them."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError
from stdnum.cn import ric

from shared.auth.principal import Grant
from shared.auth.roles import Role
from shared.db import create_engine
from tests.orgtree import build_tree, member_body
from tests.platform import RunningService, eventually

pytestmark = pytest.mark.integration


def id_number(serial: int) -> str:
    body = f"11010519750101{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


MOBILES = ["13912345678", "13787654321", "15011112222", "18633334444", "13655556666"]
IDS = [id_number(i) for i in (11, 12, 13, 14)]
ADDRESSES = ["幸福路8号", "和平里甲3号楼"]
# A name the database is made to refuse (below), standing for any unexpected failure.
FAULT = "故障测试"


def written_forms(secret: str) -> list[str]:
    """``secret`` as it appears in a log line: raw, or JSON-escaped (the JSON renderer
    writes non-ASCII as \\uXXXX)."""
    return [secret, json.dumps(secret)[1:-1]]


async def make_the_database_refuse(db_conn: Any, database_url: str) -> None:
    """CHECK constraints that fail on ``FAULT``: PostgreSQL's error then quotes the whole
    row (``Failing row contains (...)``) — mobile, ID number, address, password hash —
    and the route, which expects no such error, answers 500 with the traceback logged."""
    conn = await db_conn(database_url)
    for table, column in (("member", "name"), ("account", "display_name")):
        await conn.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT ck_test_fault CHECK ({column} <> '{FAULT}')"
        )


async def test_no_personal_data_in_the_logs_of_a_full_flow(
    platform: dict[str, RunningService], capfd: Any, caplog: Any, db_conn: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    members = platform["members"]
    client = members.client
    tree = await build_tree(client)
    body = member_body(tree, "陈静", mobile=MOBILES[0], id_number=IDS[0], address=ADDRESSES[0])
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
    synced_id = synced.json()["created"][0]["member_id"]
    for password in ("wrong-1", "wrong-2"):
        signed = await client.post(
            "/auth/token", json={"username": MOBILES[0], "password": password}
        )
        assert signed.status_code == 401

    await make_the_database_refuse(db_conn, members.settings.database_url)
    fault = member_body(tree, FAULT, mobile=MOBILES[4], id_number=IDS[3], address=ADDRESSES[1])
    failed = await client.post("/members", json=fault, headers={"X-Request-ID": "fault-1"})
    assert failed.status_code == 500, failed.text
    assert failed.json()["error"]["request_id"] == "fault-1"
    account = {
        "username": "guzhang",
        "display_name": FAULT,
        "password": "Secret-pass-2026",
        "grants": [{"role": "community_admin", "node_id": str(tree.community)}],
    }
    assert (await client.post("/accounts", json=account)).status_code == 500

    # Every event of the flow consumed: the update and the sync too, not only the first.
    for name in ("activities", "scoring", "notify"):
        other = platform[name].client

        async def followed(other: Any = other) -> bool:
            updated = await other.get(f"/members/{member['id']}")
            synced_member = await other.get(f"/members/{synced_id}")
            return (
                updated.status_code == 200
                and updated.json()["version"] >= 2
                and synced_member.status_code == 200
            )

        await eventually(followed)

    out, err = capfd.readouterr()
    logs = out + err + caplog.text
    # The logs were captured at all (the services' own lines, not only the libraries'),
    # with the tracebacks of the two failures and the rows PostgreSQL quoted in them.
    assert '"event": "organization.created"' in err
    assert err.count('"event": "http.unhandled_error"') == 2
    assert "CheckViolation" in err and "Failing row contains" in err
    for secret in [*MOBILES, *IDS, bad_id, *ADDRESSES, "$argon2id$v=", "Secret-pass-2026"]:
        for form in written_forms(secret):
            assert form not in logs, f"personal data in the logs: {secret}"


async def test_the_engine_keeps_statement_parameters_out_of_its_errors(
    platform: dict[str, RunningService],
) -> None:
    """The engine of every service hides the parameters of a failed statement, so no
    traceback or error message carries them (the log's masking is the second net)."""
    engine = create_engine(platform["members"].settings.database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as raised:
                await conn.exec_driver_sql(
                    "SELECT 1 / ($1::int - 1), $2::text", (1, f"{ADDRESSES[0]} {MOBILES[0]}")
                )
    finally:
        await engine.dispose()
    message = str(raised.value)
    assert "SQL parameters hidden" in message
    assert ADDRESSES[0] not in message and MOBILES[0] not in message
