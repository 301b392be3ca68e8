"""The roster (党员台账) through the API and the command line: import checks every row and
writes all or nothing (or the good rows, with partial), export gives back the same
columns, and an exported file imports again."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from openpyxl import Workbook, load_workbook

from services.members.registry import bulk as registry_bulk
from services.members.roster.columns import COLUMNS
from services.members.settings import MembersSettings
from tests.orgtree import Tree, build_tree, member_body
from tests.platform import RunningService, run_members_cli, running

pytestmark = pytest.mark.integration

HEADERS = [
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "手机号",
    "家庭住址",
    "文化程度",
    "专业特长",
    "入党日期",
    "转正日期",
    "党员类别",
    "所在党组织",
    "是否居住在辖区",
]
ID_1 = "110105198001010016"  # male, born 1980-01-01
ID_2 = "440304199003150042"  # female, born 1990-03-15
ID_3 = "11010519491231002X"  # female, born 1949-12-31
BAD_CHECK_DIGIT = "110105198001010017"

GOOD_ROWS: list[list[Any]] = [
    ["张三", "男", None, ID_1, "13800000001", "幸福路1号", "大学本科", "电工、书法",
     datetime(2005, 7, 1), "2006/7/1", "社区党员、在职党员", "第一党支部", "是"],
    ["李秀英", "女", "1990年3月15日", ID_2, "13800000002", None, "研究生", None,
     "2015-06-30", None, "流动党员", "第一党小组", "否"],
    ["王建国", None, None, ID_3, None, "和平路2号", "初中及以下", None,
     "1975年7月1日", None, "离退休党员", "退休党员支部", None],
]  # fmt: skip


def xlsx(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str) -> bytes:
    lines = [",".join(HEADERS)] + [",".join("" if c is None else str(c) for c in r) for r in rows]
    return "\r\n".join(lines).encode(encoding)


@pytest.fixture
async def tree(platform: dict[str, RunningService]) -> Tree:
    return await build_tree(platform["members"].client)


async def upload(
    service: RunningService,
    community: uuid.UUID,
    content: bytes,
    filename: str = "台账.xlsx",
    **params: Any,
) -> Any:
    return await service.client.post(
        f"/communities/{community}/roster/import",
        files={"file": (filename, content, "application/octet-stream")},
        params={k: str(v).lower() for k, v in params.items()},
    )


async def counts(service: RunningService, db_conn: Callable[..., Any]) -> tuple[int, int, int]:
    conn = await db_conn(service.settings.database_url)
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM member) AS members,"
        " (SELECT count(*) FROM audit_log WHERE entity_type = 'member') AS audit,"
        " (SELECT count(*) FROM outbox WHERE event_type LIKE 'member.%') AS events"
    )
    return row["members"], row["audit"], row["events"]


def bad_rows() -> list[list[Any]]:
    rows = [list(r) for r in GOOD_ROWS]
    rows.insert(1, ["赵六", "男", None, BAD_CHECK_DIGIT, None, None, None, None, None, None,
                    None, "第一党支部", None])  # fmt: skip
    rows.append(["钱七", None, None, None, "12345", None, None, None, "2010-02-30", None,
                 "社区党员、游客党员", "第九党支部", None])  # fmt: skip
    rows.append(["孙八", None, None, None, None, None, None, None, None, None, None,
                 "第一党支部", "也许"])  # fmt: skip
    return rows


async def test_a_valid_xlsx_registers_every_row_in_its_organization(
    platform: dict[str, RunningService], tree: Tree, db_conn: Callable[..., Any]
) -> None:
    members = platform["members"]
    response = await upload(members, tree.community, xlsx(GOOD_ROWS))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["total"], report["created"], report["errors"]) == (3, 3, [])
    assert report["summary"] == "共 3 行，已全部导入（新增党员 3 名）"
    conn = await db_conn(members.settings.database_url)
    rows = {r["name"]: r for r in await conn.fetch("SELECT * FROM member")}
    zhang, li, wang = rows["张三"], rows["李秀英"], rows["王建国"]
    assert zhang["home_organization_id"] == zhang["branch_id"] == tree.branch
    assert zhang["community_id"] == tree.community and zhang["district_id"] == tree.district
    assert zhang["gender"] == "male" and zhang["birth_date"] == date(1980, 1, 1)
    assert zhang["mobile"] == "13800000001" and zhang["id_number"] == ID_1
    assert zhang["education"] == "bachelor" and zhang["specialties"] == ["电工", "书法"]
    assert zhang["joined_at"] == date(2005, 7, 1) and zhang["full_member_at"] == date(2006, 7, 1)
    assert zhang["categories"] == ["community", "in_service"] and zhang["lives_in_area"]
    assert li["home_organization_id"] == tree.group and li["branch_id"] == tree.branch
    assert li["categories"] == ["mobile"] and li["lives_in_area"] is False
    assert li["education"] == "postgraduate"
    assert wang["home_organization_id"] == tree.retired_branch
    assert wang["joined_at"] == date(1975, 7, 1) and wang["lives_in_area"] is True
    assert await counts(members, db_conn) == (3, 3, 3)


async def test_bad_rows_are_listed_and_nothing_is_written(
    platform: dict[str, RunningService], tree: Tree, db_conn: Callable[..., Any]
) -> None:
    members = platform["members"]
    response = await upload(members, tree.community, xlsx(bad_rows()))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "roster_invalid"
    assert error["message"] == "共 6 行，其中 3 行有误，未导入任何数据；请修改后重新导入"
    found = [(e["row"], e["column"], e["message"]) for e in error["data"]["errors"]]
    assert [(row, column) for row, column, _ in found] == [
        (3, "身份证号"),
        (6, "手机号"),
        (6, "入党日期"),
        (6, "党员类别"),
        (6, "所在党组织"),
        (7, "是否居住在辖区"),
    ]
    assert found[0][2] == "身份证号校验位不正确，请核对最后一位"
    assert found[2][2] == "日期不存在（2010年2月30日）"
    assert "游客党员" in found[3][2] and "第九党支部" in found[4][2]
    # One shape for roster errors: the report (as a 200 with partial would answer it) is
    # the error's data; details don't repeat it in another shape.
    assert error["details"] == []
    assert set(error["data"]) == {
        "total", "created", "already_registered", "dry_run", "errors", "summary"
    }  # fmt: skip
    assert error["data"]["errors"][0] == {"row": 3, "column": "身份证号", "message": found[0][2]}
    assert await counts(members, db_conn) == (0, 0, 0)


async def test_partial_writes_the_good_rows_and_dry_run_writes_nothing(
    platform: dict[str, RunningService], tree: Tree, db_conn: Callable[..., Any]
) -> None:
    members = platform["members"]
    dry = await upload(members, tree.community, xlsx(GOOD_ROWS), dry_run=True)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["created"], dry.json()["dry_run"]) == (3, True)
    assert dry.json()["summary"].startswith("试导入：")
    dry_partial = await upload(
        members, tree.community, xlsx(bad_rows()), dry_run=True, partial=True
    )
    assert dry_partial.status_code == 200 and dry_partial.json()["created"] == 3
    assert await counts(members, db_conn) == (0, 0, 0)

    partial = await upload(members, tree.community, xlsx(bad_rows()), partial=True)
    assert partial.status_code == 200, partial.text
    report = partial.json()
    assert (report["total"], report["created"]) == (6, 3)
    assert sorted({e["row"] for e in report["errors"]}) == [3, 6, 7]
    assert report["summary"] == "共 6 行，已导入 3 行，3 行有误未导入"
    assert await counts(members, db_conn) == (3, 3, 3)


async def test_a_row_failing_while_written_leaves_nothing_behind(
    platform: dict[str, RunningService],
    tree: Tree,
    db_conn: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A row can still fail after its checks: someone registers the same person at that
    moment. The set-based write then fails on the ID number's unique index, and the import
    is written again row by row: with partial the row's SAVEPOINT takes back its member,
    audit and outbox rows and the others stay; without, the whole import is rolled back."""
    members = platform["members"]
    real_now = registry_bulk.now
    racers = [("李秀英", ID_2), ("王建国", ID_3)]
    neighbour = str(tree.other_branch)

    async def racing_now(session: Any) -> Any:
        # Between the import's checks and its write, another request registers a person
        # the file also lists, in the neighbouring community, and commits.
        name, id_number = racers.pop(0)
        body = member_body(tree, name, id_number=id_number, home_organization_id=neighbour)
        raced = await members.client.post("/members", json=body)
        assert raced.status_code == 201, raced.text
        return await real_now(session)

    monkeypatch.setattr(registry_bulk, "now", racing_now)
    whole = await upload(members, tree.community, xlsx(GOOD_ROWS))
    assert whole.status_code == 422, whole.text
    errors = whole.json()["error"]["data"]["errors"]
    assert [(e["row"], e["message"]) for e in errors] == [
        (3, "本区已有相同身份证号的党员记录，请勿重复登记")
    ]
    assert await counts(members, db_conn) == (1, 1, 1)  # the racer's registration only

    partial = await upload(members, tree.community, xlsx(GOOD_ROWS), partial=True)
    assert partial.status_code == 200, partial.text
    assert partial.json()["created"] == 1
    found = [(e["row"], e["column"]) for e in partial.json()["errors"]]
    assert found == [(3, "身份证号"), (4, None)]  # 3 seen at the checks, 4 at the write
    assert await counts(members, db_conn) == (3, 3, 3)  # two racers and 张三


async def test_rows_are_written_in_sets_with_their_audit_and_events(
    platform: dict[str, RunningService], tree: Tree, db_conn: Callable[..., Any]
) -> None:
    """The set-based write leaves what registering one by one would: per member one audit
    entry (noting the roster row) and one member.registered event with the full state."""
    members = platform["members"]
    response = await upload(members, tree.community, xlsx(GOOD_ROWS))
    assert response.status_code == 200, response.text
    conn = await db_conn(members.settings.database_url)
    rows = await conn.fetch(
        "SELECT m.name, m.gender, m.birth_date, m.branch_id, m.version, a.action,"
        " a.after->>'source' AS source, (a.after->>'row')::int AS row, o.value"
        " FROM member m JOIN audit_log a ON a.entity_id = m.id"
        " JOIN outbox o ON o.key = m.id::text ORDER BY row"
    )
    assert [(r["name"], r["row"], r["source"], r["action"]) for r in rows] == [
        ("张三", 2, "roster_import", "registered"),
        ("李秀英", 3, "roster_import", "registered"),
        ("王建国", 4, "roster_import", "registered"),
    ]
    wang = rows[2]
    assert (wang["gender"], wang["birth_date"]) == ("female", date(1949, 12, 31))  # from the ID
    assert wang["version"] == 1 and wang["branch_id"] is not None
    state = orjson.loads(wang["value"])["payload"]["member"]
    assert state["name"] == "王建国" and state["version"] == 1
    assert state["categories"] == ["retired"]


async def test_the_same_person_twice_is_reported_not_created(
    platform: dict[str, RunningService], tree: Tree, db_conn: Callable[..., Any]
) -> None:
    members = platform["members"]
    # Registered in the neighbouring community: the same person, another record.
    elsewhere = member_body(
        tree, "王建国", id_number=ID_3, home_organization_id=str(tree.other_branch)
    )
    existing = await members.client.post("/members", json=elsewhere)
    assert existing.status_code == 201, existing.text
    rows = [
        *GOOD_ROWS,
        ["张三", None, None, ID_1, None, None, None, None, None, None, None, "第一党支部", None],
        ["李秀英", None, None, None, "13800000002", None, None, None, None, None, None,
         "第一党支部", None],
    ]  # fmt: skip
    response = await upload(members, tree.community, xlsx(rows), partial=True)
    assert response.status_code == 200, response.text
    found = [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]]
    assert found == [
        (4, "身份证号", "已有相同身份证号的党员记录，是同一人，未重复导入"),
        (5, "身份证号", "与第2行身份证号相同，是同一人，未重复导入"),
        (6, "手机号", "与第3行姓名、手机号都相同，是同一人，未重复导入"),
    ]
    assert response.json()["created"] == 2
    assert (await counts(members, db_conn))[0] == 3


async def test_csv_from_chinese_excel_and_with_bom(
    platform: dict[str, RunningService], tree: Tree, db_conn: Callable[..., Any]
) -> None:
    members = platform["members"]
    gb = csv_bytes(GOOD_ROWS[:2], "gb18030")
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    response = await upload(members, tree.community, gb, "台账.csv")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    bom = csv_bytes(GOOD_ROWS[2:], "utf-8-sig")
    response = await upload(members, tree.community, bom, "台账.csv")
    assert response.status_code == 200, response.text
    conn = await db_conn(members.settings.database_url)
    names = {r["name"]: r["home_organization_id"] for r in await conn.fetch("SELECT * FROM member")}
    assert names == {"张三": tree.branch, "李秀英": tree.group, "王建国": tree.retired_branch}


async def test_unknown_community_and_unreadable_file(
    platform: dict[str, RunningService], tree: Tree
) -> None:
    members = platform["members"]
    nowhere = uuid.uuid4()
    assert (await upload(members, nowhere, xlsx(GOOD_ROWS))).status_code == 404
    assert (await members.client.get(f"/communities/{nowhere}/roster/export")).status_code == 404
    branch_is_no_community = await upload(members, tree.branch, xlsx(GOOD_ROWS))
    assert branch_is_no_community.status_code == 404
    broken = await upload(members, tree.community, b"PK\x03\x04broken", "台账.xlsx")
    assert broken.status_code == 422
    assert broken.json()["error"]["code"] == "roster_unreadable"
    no_org_column = await upload(members, tree.community, xlsx([["张三"]], ["姓名"]))
    assert no_org_column.status_code == 422
    errors = no_org_column.json()["error"]["data"]["errors"]
    assert errors == [{"row": 1, "column": "所在党组织", "message": "缺少必需的列「所在党组织」"}]


async def export(service: RunningService, community: uuid.UUID, **params: Any) -> Any:
    response = await service.client.get(f"/communities/{community}/roster/export", params=params)
    assert response.status_code == 200, response.text
    return response, load_workbook(io.BytesIO(response.content))


async def test_export_gives_the_roster_as_staff_keep_it(
    platform: dict[str, RunningService], tree: Tree
) -> None:
    members = platform["members"]
    assert (await upload(members, tree.community, xlsx(GOOD_ROWS))).status_code == 200
    response, book = await export(members, tree.community)
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote('幸福社区党员台账.xlsx')}" in disposition
    assert book.sheetnames == ["党员台账"]
    sheet = book["党员台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in COLUMNS]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert sheet.column_dimensions["D"].width > 15  # 身份证号 fits
    by_name = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(by_name) == {"张三", "李秀英", "王建国"}
    zhang = by_name["张三"]
    assert (zhang["性别"], zhang["身份证号"], zhang["手机号"]) == ("男", ID_1, "13800000001")
    assert zhang["出生日期"] == datetime(1980, 1, 1) and zhang["入党日期"] == datetime(2005, 7, 1)
    assert (zhang["文化程度"], zhang["专业特长"]) == ("大学本科", "电工、书法")
    assert zhang["党员类别"] == "社区党员、在职党员"
    assert (zhang["所在党组织"], zhang["是否居住在辖区"], zhang["状态"]) == (
        "第一党支部",
        "是",
        "正常",
    )
    li = by_name["李秀英"]
    assert (li["所在党组织"], li["是否居住在辖区"], li["专业特长"]) == ("第一党小组", "否", None)
    assert by_name["王建国"]["文化程度"] == "初中及以下"

    _, only_deceased = await export(members, tree.community, status="deceased")
    assert only_deceased["党员台账"].max_row == 1  # the header alone


async def test_an_exported_roster_imports_into_an_empty_community(
    platform: dict[str, RunningService], tree: Tree, settings_for: Callable[..., Any]
) -> None:
    members = platform["members"]
    assert (await upload(members, tree.community, xlsx(GOOD_ROWS))).status_code == 200
    response, book = await export(members, tree.community)
    first = list(book["党员台账"].iter_rows(values_only=True))
    # Another district's database: one person, one record holds across the platform.
    async with running("members", await settings_for(MembersSettings), worker=False) as other:
        other_tree = await build_tree(other.client)
        imported = await upload(other, other_tree.community, response.content)
        assert imported.status_code == 200, imported.text
        assert imported.json()["created"] == 3
        _, again = await export(other, other_tree.community)
        assert list(again["党员台账"].iter_rows(values_only=True)) == first


async def run_cli(database_url: str, *args: str) -> tuple[int, str, str]:
    return await run_members_cli(database_url, "import-roster", *args)


async def test_command_line_import(
    settings_for: Callable[..., Any], db_conn: Callable[..., Any], tmp_path: Path
) -> None:
    settings = await settings_for(MembersSettings)
    async with running("members", settings, worker=False) as service:
        tree = await build_tree(service.client)
    url = settings.database_url
    conn = await db_conn(url)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx(bad_rows()))
    code, out, err = await run_cli(url, str(tree.community), str(bad))
    assert code == 1, err
    assert "3 行有误，未导入任何数据" in out
    assert "第3行「身份证号」：身份证号校验位不正确，请核对最后一位" in out
    assert await conn.fetchval("SELECT count(*) FROM member") == 0

    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx(GOOD_ROWS))
    code, out, err = await run_cli(url, str(tree.community), str(good), "--dry-run")
    assert code == 0, err
    assert out.startswith("试导入：") and await conn.fetchval("SELECT count(*) FROM member") == 0
    code, out, err = await run_cli(url, str(tree.community), str(good))
    assert code == 0, err
    assert "共 3 行，已全部导入（新增党员 3 名）" in out
    assert await conn.fetchval("SELECT count(*) FROM member") == 3
    assert (
        await conn.fetchval("SELECT DISTINCT actor FROM audit_log WHERE entity_type = 'member'")
    ).startswith("cli:")

    code, out, _ = await run_cli(url, str(tree.community), str(bad), "--partial")
    assert code == 1 and "已导入 0 行" in out  # the good rows are now duplicates
    code, _, err = await run_cli(url, str(tree.community), str(tmp_path / "missing.xlsx"))
    assert code == 2 and "无法读取文件" in err
