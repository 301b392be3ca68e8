"""Bad input that used to reach PostgreSQL and answer 500 is refused at the edge with a
clear Chinese 4xx naming the field, on every service, and changes nothing: NUL characters
and lone surrogates in any text, cursors that don't decode to the sort's types; and every
validation message is Chinese, its first reason in the top-level message."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import httpx
import pytest

from tests.orgtree import build_tree, member_body
from tests.platform import RunningService

pytestmark = pytest.mark.integration

CJK = re.compile(r"[\u3400-\u9fff]")
NUL_MESSAGE = "含有不允许的空字符（U+0000）"


def refusal(response: httpx.Response) -> tuple[int, str, list[str | None]]:
    error = response.json()["error"]
    assert CJK.search(error["message"]), error
    assert error["request_id"] == response.headers["x-request-id"], error
    return response.status_code, error["message"], [d["field"] for d in error["details"]]


def cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


async def test_nul_characters_are_refused_on_every_service_and_change_nothing(
    platform: dict[str, RunningService],
) -> None:
    client = platform["members"].client
    tree = await build_tree(client)
    created = await client.post("/members", json=member_body(tree, "王芳"))
    member = created.json()
    other = await client.post("/members", json=member_body(tree, "李强"))

    members_cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/members", {"json": member_body(tree, "张\x00三")}, "name"),
        (
            "POST",
            "/members",
            {"json": member_body(tree, "张三", specialties=["书法", "摄\x00影"])},
            "specialties.1",
        ),
        (
            "PATCH",
            f"/members/{member['id']}",
            {"json": {"version": member["version"], "address": "幸福路\x008号"}},
            "address",
        ),
        (
            "POST",
            "/organizations",
            {"json": {"kind": "branch", "name": "第\x00支部", "parent_id": str(tree.committee)}},
            "name",
        ),
        (
            "POST",
            "/transfers",
            {
                "json": {
                    "member_id": other.json()["id"],
                    "member_version": other.json()["version"],
                    "to_organization_id": str(tree.other_branch),
                    "reason": "搬\x00家",
                }
            },
            "reason",
        ),
        ("GET", "/members", {"params": {"q": "王\x00"}}, "q"),
        ("GET", "/members", {"params": {"specialty": "\x00"}}, "specialty"),
        ("GET", "/audit", {"params": {"actor": "account:\x00"}}, "actor"),
        ("POST", "/auth/token", {"json": {"username": "a\x00", "password": "x"}}, "username"),
        (
            "POST",
            "/onboarding/communities",
            {"content": b'{"name": "\\u0000"}', "headers": {"content-type": "application/json"}},
            "name",
        ),
    ]
    for method, path, kwargs, field in members_cases:
        response = await client.request(method, path, **kwargs)
        assert refusal(response) == (422, f"{field}：{NUL_MESSAGE}", [field]), (path, field)

    others: list[tuple[str, str, dict[str, Any], str]] = [
        ("activities", f"/members/{member['id']}%00", {}, "path"),
        ("scoring", "/ops/dead-letters", {"params": {"pending_only": "\x00"}}, "pending_only"),
        ("notify", f"/organizations/{tree.branch}", {"params": {"x\x00": "1"}}, "query"),
    ]
    for name, path, kwargs, field in others:
        response = await platform[name].client.get(path, **kwargs)
        assert refusal(response) == (422, f"{field}：{NUL_MESSAGE}", [field]), (name, path)

    # Nothing of the refused writes happened.
    listed = await client.get("/members", params={"organization_id": str(tree.community)})
    assert sorted(m["name"] for m in listed.json()["items"]) == ["李强", "王芳"]
    again = await client.get(f"/members/{member['id']}")
    assert again.json()["version"] == member["version"]
    transfers = await client.get("/transfers", params={"organization_id": str(tree.community)})
    assert transfers.json()["items"] == []


async def test_a_lone_surrogate_is_refused_in_chinese(
    platform: dict[str, RunningService],
) -> None:
    client = platform["members"].client
    tree = await build_tree(client)
    raw = json.dumps(member_body(tree, "X")).replace('"X"', '"\\ud800"').encode()
    cases = [
        ("/members", raw, "name"),
        ("/auth/token", b'{"username": "\\udfff", "password": "x"}', "username"),
    ]
    for path, body, field in cases:
        response = await client.post(
            path, content=body, headers={"content-type": "application/json"}
        )
        assert refusal(response) == (
            422,
            f"{field}：含有无效的字符（不是有效的 Unicode 文字）",
            [field],
        )


async def test_cursors_that_do_not_decode_to_the_sorts_types_answer_400(
    platform: dict[str, RunningService],
) -> None:
    client = platform["members"].client
    tree = await build_tree(client)
    for name in ("甲", "乙", "丙"):
        assert (await client.post("/members", json=member_body(tree, name))).status_code == 201
    some_id = str(uuid.uuid4())
    cases: list[tuple[str, dict[str, str]]] = [
        ("/members", {"sort": "name", "cursor": cursor(5, some_id)}),
        ("/members", {"sort": "name", "cursor": cursor("甲\x00", some_id)}),
        ("/members", {"cursor": cursor("0001-01-01T00:00:00+05:00", some_id)}),
        ("/members", {"cursor": cursor("9999-12-31T23:59:59-05:00", some_id)}),
        ("/members", {"sort": "joined_at", "cursor": cursor("0000-01-01", some_id)}),
        ("/members", {"sort": "joined_at", "cursor": cursor(20260101, some_id)}),
        ("/members", {"cursor": cursor("2026-01-01T00:00:00+08:00", 5)}),
        ("/transfers", {"cursor": cursor("0001-01-01T00:00:00+05:00", some_id)}),
        ("/transfers", {"cursor": cursor("9999-12-31T23:59:59-05:00", some_id)}),
        ("/transfers", {"cursor": cursor(5, some_id)}),
        ("/transfers", {"cursor": "not-a-cursor"}),
    ]
    for path, params in cases:
        response = await client.get(path, params={**params, "limit": "2"})
        assert refusal(response) == (400, "分页游标无效，请从第一页重新查询", ["cursor"]), (
            path,
            params,
        )
        assert response.json()["error"]["code"] == "invalid_cursor"
    # The cursors the service writes still read back, across a page boundary in UTC.
    first = await client.get("/members", params={"sort": "name", "limit": "2"})
    following = await client.get(
        "/members", params={"sort": "name", "limit": "2", "cursor": first.json()["next_cursor"]}
    )
    assert len(first.json()["items"]) == 2 and len(following.json()["items"]) == 1


async def test_validation_messages_are_chinese_with_the_first_reason_on_top(
    platform: dict[str, RunningService],
) -> None:
    client = platform["members"].client
    await build_tree(client)  # the test acts as its admin
    limit = await client.get("/members", params={"limit": "-1"})
    assert refusal(limit) == (422, "limit：不能小于 1", ["limit"])
    token = await client.post("/auth/refresh", json={"refresh_token": 5})
    assert refusal(token) == (422, "refresh_token：应为文字", ["refresh_token"])
    several = await client.post("/members", json={"mobile": 5, "categories": "x"})
    status, message, fields = refusal(several)
    assert status == 422 and len(fields) >= 3
    assert message.startswith(f"{fields[0]}：") and f"另有 {len(fields) - 1} 处需要修改" in message
    for detail in several.json()["error"]["details"]:
        assert CJK.search(detail["message"]), detail
