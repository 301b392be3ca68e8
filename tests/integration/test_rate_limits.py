"""Rate limits hold across API instances: two members apps on one database share the
sign-in throttle and the sync key limit (their counters live in the database, not in
the process), concurrent attempts cannot slip past the limit, a successful sign-in
clears the username's failures, Retry-After follows the moving window, expired rows go,
and the table holds no username or address in clear."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest

from services.members.settings import MembersSettings
from tests.auth import OPERATIONS
from tests.orgtree import Tree, build_tree
from tests.platform import RunningService, running

pytestmark = pytest.mark.integration

PASSWORD = "abcd1234"
WRONG = "wrong-password1"
MOBILE = "13812341234"  # usernames are often mobile numbers
CLIENT = "127.0.0.1"  # the address httpx's ASGI transport reports
ID_NUMBER = "11010519491231002X"

Instances = tuple[RunningService, RunningService]


@pytest.fixture
def instances(
    settings_for: Callable[..., Any],
) -> Callable[..., Any]:
    """``async with instances(**settings) as (a, b)``: two members API instances (no
    worker) on one database, acting as the same admin."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Instances]:
        settings = await settings_for(MembersSettings, **overrides)
        grants = [OPERATIONS]
        async with AsyncExitStack() as stack:
            a = await stack.enter_async_context(
                running("members", settings, worker=False, grants=grants)
            )
            b = await stack.enter_async_context(
                running("members", settings, worker=False, grants=grants)
            )
            yield a, b

    return start


async def make_account(service: RunningService, tree: Tree, username: str) -> None:
    grant = {"role": "branch_secretary", "node_id": str(tree.branch)}
    body = {"username": username, "display_name": "测试", "password": PASSWORD, "grants": [grant]}
    response = await service.client.post("/accounts", json=body)
    assert response.status_code == 201, response.text


async def sign_in(service: RunningService, username: str, password: str = PASSWORD) -> Any:
    body = {"username": username, "password": password}
    return await service.client.post("/auth/token", json=body)


async def statuses(*calls: Awaitable[Any]) -> list[int]:
    return [r.status_code for r in [await call for call in calls]]


async def rows(db_conn: Callable[..., Any], service: RunningService) -> list[Any]:
    conn = await db_conn(service.settings.database_url)
    return list(await conn.fetch("SELECT * FROM rate_limit ORDER BY scope"))


async def test_failures_on_either_instance_count_towards_one_limit(
    instances: Callable[..., Any],
) -> None:
    async with instances(sign_in_failures_per_username="3/minute") as (a, b):
        tree = await build_tree(a.client)
        await make_account(a, tree, "zhibu")
        # Each failure answers 401 and its request rolls back; the count stands anyway.
        assert await statuses(
            sign_in(a, "zhibu", WRONG), sign_in(b, "zhibu", WRONG), sign_in(a, "zhibu", WRONG)
        ) == [401, 401, 401]
        for service in (b, a):  # even the right password waits now, on either instance
            blocked = await sign_in(service, "zhibu")
            assert blocked.status_code == 429, blocked.text
            assert blocked.json()["error"]["code"] == "too_many_requests"
            assert 55 <= int(blocked.headers["Retry-After"]) <= 60


async def test_concurrent_attempts_cannot_slip_past_the_limit(
    instances: Callable[..., Any],
) -> None:
    async with instances(sign_in_failures_per_username="3/minute") as (a, b):
        tree = await build_tree(a.client)
        await make_account(a, tree, "zhibu")
        burst = [sign_in((a, b)[i % 2], "zhibu", WRONG) for i in range(8)]
        answers = sorted(r.status_code for r in await asyncio.gather(*burst))
        assert answers == [401] * 3 + [429] * 5


async def test_a_successful_sign_in_clears_the_usernames_failures(
    instances: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    async with instances(sign_in_failures_per_username="3/minute") as (a, b):
        tree = await build_tree(a.client)
        await make_account(a, tree, "zhibu")
        assert await statuses(sign_in(a, "zhibu", WRONG), sign_in(a, "zhibu", WRONG)) == [401] * 2
        assert (await sign_in(b, "zhibu")).status_code == 200  # clears the count on a too
        assert (await sign_in(a, "zhibu", WRONG)).status_code == 401
        assert (await sign_in(a, "zhibu")).status_code == 200  # one failure since: let in
        stored = {r["scope"]: r for r in await rows(db_conn, a)}
        assert "sign_in_user" not in stored  # cleared
        # The address counts failures only: the successes were given back.
        assert len(stored["sign_in_client"]["hits"]) == 3


async def test_retry_after_is_when_the_oldest_failure_leaves_the_window(
    instances: Callable[..., Any],
) -> None:
    async with instances(sign_in_failures_per_username="2/3seconds") as (a, b):
        tree = await build_tree(a.client)
        await make_account(a, tree, "zhibu")
        assert (await sign_in(a, "zhibu", WRONG)).status_code == 401
        await asyncio.sleep(1)
        assert (await sign_in(b, "zhibu", WRONG)).status_code == 401
        blocked = await sign_in(a, "zhibu")
        assert blocked.status_code == 429, blocked.text
        wait = int(blocked.headers["Retry-After"])
        assert 1 <= wait <= 2  # the first failure leaves first, not a whole window later
        await asyncio.sleep(wait)
        # A moving window: the second failure still counts, the first no longer does.
        assert (await sign_in(b, "zhibu")).status_code == 200


async def test_the_table_holds_no_username_or_address_in_clear(
    instances: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    async with instances() as (a, b):
        tree = await build_tree(a.client)
        await make_account(a, tree, MOBILE)
        assert await statuses(sign_in(a, MOBILE, WRONG), sign_in(b, MOBILE, WRONG)) == [401] * 2
        stored = await rows(db_conn, a)
        assert {r["scope"] for r in stored} == {"sign_in_user", "sign_in_client"}
        plain = {MOBILE.encode(), CLIENT.encode()}
        plain |= {hashlib.sha256(p).digest() for p in plain}  # not even an unkeyed hash
        for row in stored:
            assert len(row["key"]) == 32 and row["key"] not in plain
            assert len(row["hits"]) == 2
            text = repr(dict(row)) + row["key"].hex()
            assert MOBILE not in text and CLIENT not in text


async def test_expired_rows_are_deleted_by_later_hits(
    instances: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    async with instances() as (a, _):
        conn = await db_conn(a.settings.database_url)
        await conn.execute(
            "INSERT INTO rate_limit (scope, key, hits, expires_at)"
            " SELECT 'sign_in_user', sha256(i::text::bytea), ARRAY[now() - interval '1 hour'],"
            " now() - interval '1 minute' FROM generate_series(1, 5) i"
        )
        assert (await sign_in(a, "nobody", WRONG)).status_code == 401
        left = await conn.fetchval("SELECT count(*) FROM rate_limit WHERE expires_at < now()")
        assert left == 0
        assert len(await rows(db_conn, a)) == 2  # the new failure's, per username and address


async def test_a_sync_key_is_limited_across_instances(instances: Callable[..., Any]) -> None:
    async with instances(sync_rate_limit="4/minute") as (a, b):
        tree = await build_tree(a.client)
        created = await a.client.post(f"/units/{tree.unit}/api-keys", json={"name": "人事系统"})
        assert created.status_code == 201, created.text
        key = {"Authorization": f"Bearer {created.json()['key']}"}
        row = {
            "external_id": "E00001",
            "name": "周在职",
            "mobile": MOBILE,
            "id_number": ID_NUMBER,
            "community_id": str(tree.community),
        }
        body = {"mode": "full", "members": [row]}
        url = f"/units/{tree.unit}/sync"
        # A failing call (422: its transaction rolls back) counts like any other.
        empty = await a.client.post(url, json={"mode": "full", "members": []}, headers=key)
        assert empty.status_code == 422, empty.text
        for service in (b, a, b):
            response = await service.client.post(url, json=body, headers=key)
            assert response.status_code == 200, response.text
        for service in (a, b):
            limited = await service.client.post(url, json=body, headers=key)
            assert limited.status_code == 429, limited.text
            assert 55 <= int(limited.headers["Retry-After"]) <= 60


async def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(
    instances: Callable[..., Any],
) -> None:
    """The address a sign-in is counted under is the client the proxy names, when the
    proxy is trusted (``trusted_proxies``); an untrusted hop cannot choose its address."""

    async def fail(service: RunningService, username: str, client: str) -> int:
        body = {"username": username, "password": WRONG}
        headers = {"X-Forwarded-For": client}
        response = await service.client.post("/auth/token", json=body, headers=headers)
        return response.status_code

    async with instances(sign_in_failures_per_client="2/minute") as (a, _):
        assert [await fail(a, f"user{i}", "10.0.0.1") for i in range(3)] == [401, 401, 429]
        assert await fail(a, "user9", "10.0.0.2") == 401  # another client behind the proxy
    async with instances(sign_in_failures_per_client="2/minute", trusted_proxies="10.9.9.9") as (
        a,
        _,
    ):
        # The test transport's own address is not a trusted proxy: its header is ignored.
        assert [await fail(a, f"user{i}", f"10.1.0.{i}") for i in range(3)] == [401, 401, 429]
