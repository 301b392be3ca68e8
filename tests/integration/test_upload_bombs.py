"""Hostile uploads are refused with a Chinese 4xx, parsed on the upload threads while the
service goes on answering: a 32 KB .xlsx that inflates to 200,000 rows and a YAML alias
bomb are held at the start of their parsing while ``/livez`` is asked; had they been
parsed on the event loop, nothing could have answered."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from services.members.onboarding import api as onboarding_api
from services.members.onboarding.schemas import parse_description
from services.members.roster import service as roster_service
from services.members.roster.files import read_table
from services.members.settings import MembersSettings
from tests.integration.test_roster import xlsx
from tests.orgtree import build_tree, create_district
from tests.platform import RunningService, running
from tests.unit.test_upload_limits import BILLION_LAUGHS, xlsx_with_sheet

pytestmark = pytest.mark.integration

ROW = '<row><c t="inlineStr"><is><t>x</t></is></c></row>'


@pytest.fixture
async def members(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    async with running("members", await settings_for(MembersSettings), worker=False) as service:
        yield service


class Gate:
    """Wraps a parser: holds it at its start until the test lets it go, and notes the
    thread it ran on."""

    def __init__(self, parse: Callable[..., Any]) -> None:
        self.parse = parse
        self.started = threading.Event()
        self.released = threading.Event()
        self.threads: list[str] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.append(threading.current_thread().name)
        self.started.set()
        # A safety net, not a measurement: on the event loop nothing could release it.
        if not self.released.wait(timeout=30):
            raise AssertionError("the parser held the event loop")
        return self.parse(*args, **kwargs)

    async def while_held(self, service: RunningService, request: Any) -> Any:
        """Send ``request``; once its parsing has started (and is held), ask /livez.
        Returns the request's response."""
        sent = asyncio.create_task(request)
        started = asyncio.create_task(asyncio.to_thread(self.started.wait, 30))
        await asyncio.wait({sent, started}, return_when=asyncio.FIRST_COMPLETED)
        assert self.started.is_set(), sent.result().text if sent.done() else "not started"
        livez = await service.client.get("/livez")
        assert livez.status_code == 200
        assert not sent.done()  # /livez answered while the upload was being parsed
        self.released.set()
        response = await sent
        assert [t.startswith("upload-parse") for t in self.threads] == [True]
        return response


async def test_livez_answers_while_an_xlsx_bomb_is_refused(
    members: RunningService, monkeypatch: pytest.MonkeyPatch, db_conn: Callable[..., Any]
) -> None:
    tree = await build_tree(members.client)
    bomb = xlsx_with_sheet(ROW * 200_000)
    assert len(bomb) < 40_000  # 32 KB, ~10 MB of sheet XML inflated
    gate = Gate(read_table)
    monkeypatch.setattr(roster_service, "read_table", gate)
    upload = members.client.post(
        f"/communities/{tree.community}/roster/import",
        files={"file": ("台账.xlsx", bomb, "application/octet-stream")},
    )
    response = await gate.while_held(members, upload)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "roster_unreadable" and "压缩比异常" in error["message"]
    conn = await db_conn(members.settings.database_url)
    assert await conn.fetchval("SELECT count(*) FROM member") == 0


async def test_livez_answers_while_a_yaml_alias_bomb_is_refused(
    members: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create_district(members.client, "盘龙区")  # the test is its admin
    gate = Gate(parse_description)
    monkeypatch.setattr(onboarding_api, "parse_description", gate)
    description = "district: {name: 盘龙区}\nstreet: {name: 拓东街道}\ncommunity:\n"
    description += "  name: 桃源社区\n  settings:\n" + "\n".join(
        "    " + line for line in BILLION_LAUGHS.splitlines()
    )
    post = members.client.post(
        "/onboarding/communities",
        content=description.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    response = await gate.while_held(members, post)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "unreadable_description"
    assert error["message"].startswith("YAML 中的别名（*）展开后内容过多")


@pytest.mark.parametrize(
    ("sheet_data", "head", "message"),
    [
        ('<row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row>',
         '<!DOCTYPE worksheet [<!ENTITY a "姓名">]>', "实体定义"),
        ('<row r="1"><c r="A1" t="inlineStr"><is><t>姓名', "", "可能已损坏"),
        (ROW * 30_000, "", "压缩比异常"),
    ],
)  # fmt: skip
async def test_bad_sheet_xml_answers_a_chinese_422_not_a_500(
    members: RunningService, sheet_data: str, head: str, message: str
) -> None:
    tree = await build_tree(members.client)
    response = await members.client.post(
        f"/communities/{tree.community}/roster/import",
        files={"file": ("台账.xlsx", xlsx_with_sheet(sheet_data, head=head), "x")},
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]


async def test_a_file_of_more_rows_than_allowed_stops_at_the_limit(
    members: RunningService,
) -> None:
    tree = await build_tree(members.client)
    rows = [[f"张{i}", "第一党支部"] for i in range(20_011)]
    response = await members.client.post(
        f"/communities/{tree.community}/roster/import",
        files={"file": ("台账.xlsx", xlsx(rows, ["姓名", "所在党组织"]), "x")},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"] == "行数过多（超过 20000 行），请分批导入"
