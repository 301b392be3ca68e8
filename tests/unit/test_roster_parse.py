"""Reading roster files (党员台账) into registrations: headers, dates, categories, CSV
encodings, and every bad cell reported as (row as Excel shows it, header, message)."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook

from services.members.registry.schemas import Education, Gender
from services.members.roster.columns import BY_HEADER, canonical_header
from services.members.roster.directory import OrgDirectory, OrgEntry, UnknownOrganization
from services.members.roster.files import read_table
from services.members.roster.parse import BadCell, parse_cell, parse_date, parse_table
from shared.contracts.vocabulary import Category
from shared.spreadsheets.reader import SheetUnreadable

COMMUNITY = uuid.uuid4()
COMMITTEE, BRANCH, RETIRED, GROUP, RETIRED_GROUP = (uuid.uuid4() for _ in range(5))
DIRECTORY = OrgDirectory(
    [
        OrgEntry(COMMUNITY, "幸福社区", "community", None),
        OrgEntry(COMMITTEE, "幸福社区党委", "committee", COMMUNITY),
        OrgEntry(BRANCH, "第一党支部", "branch", COMMITTEE),
        OrgEntry(RETIRED, "退休党员支部", "branch", COMMITTEE),
        OrgEntry(GROUP, "第一党小组", "group", BRANCH),
        OrgEntry(RETIRED_GROUP, "第一党小组", "group", RETIRED),
    ]
)
ID_MALE = "110105198001010016"  # 1980-01-01, 17th digit odd
ID_FEMALE = "440304199003150042"  # 1990-03-15, even
CATEGORY_MESSAGE = (
    "未知的党员类别「游客党员」（可选：社区党员、离退休党员、在职党员、流动党员、下岗职工党员、"
    "协解党员、家属党员、复转军人党员、非公经济党员，多个用“、”分隔）"
)
HEADER = "姓名,性别,身份证号,手机号,文化程度,专业特长,入党日期,党员类别,所在党组织,是否居住在辖区"


def csv_table(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> Any:
    return read_table("\r\n".join([header, *rows]).encode(encoding), "台账.csv")


def parsed(*rows: str, header: str = HEADER) -> Any:
    return parse_table(csv_table(*rows, header=header), DIRECTORY, COMMUNITY)


def errors_of(result: Any) -> list[tuple[int, str | None, str]]:
    return [(e.row, e.column, e.message) for r in result.rows for e in r.errors] + [
        (e.row, e.column, e.message) for e in result.header_errors
    ]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("*姓名", "姓名"),
        ("身份证号码", "身份证号"),
        ("所在 党组织\n(必填)", "所在党组织"),
        ("学历", "文化程度"),
    ],
)
def test_headers_as_typed_are_read_as_the_canonical_ones(raw: str, canonical: str) -> None:
    assert canonical_header(raw) == canonical


@pytest.mark.parametrize(
    "value",
    [
        "2020-07-01",
        "2020/7/1",
        "2020年7月1日",
        " 2020.07.01 ",
        "20200701",
        "2020-07-01 00:00:00",
        datetime(2020, 7, 1),
        date(2020, 7, 1),
        44013,  # a date cell Excel stored as its serial number
        44013.0,
    ],
)
def test_date_formats(value: Any) -> None:
    assert parse_date(value) == date(2020, 7, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2020-02-30", "日期不存在"),
        ("七月一日", "不是有效的日期"),
        ("2020-7", "不是有效的日期"),
        ("1975", "只填了年份"),
        (1975, "只填了年份"),
    ],
)
def test_bad_dates_say_what_to_write(value: Any, message: str) -> None:
    with pytest.raises(BadCell, match=message):
        parse_date(value)


def test_categories_education_gender_and_tags() -> None:
    categories = BY_HEADER["党员类别"]
    assert parse_cell(categories, "社区党员、离退休党员", DIRECTORY) == [
        Category.community,
        Category.retired,
    ]
    assert parse_cell(categories, "在职党员，复转军人党员", DIRECTORY) == [
        Category.in_service,
        Category.veteran,
    ]
    with pytest.raises(BadCell, match="未知的党员类别「游客党员」"):
        parse_cell(categories, "社区党员、游客党员", DIRECTORY)
    assert parse_cell(BY_HEADER["文化程度"], "中专或高中", DIRECTORY) == Education.secondary
    assert parse_cell(BY_HEADER["文化程度"], "本科", DIRECTORY) == Education.bachelor
    assert parse_cell(BY_HEADER["性别"], "女", DIRECTORY) == Gender.female
    assert parse_cell(BY_HEADER["专业特长"], "书法、 电工，法律", DIRECTORY) == [
        "书法",
        "电工",
        "法律",
    ]
    assert parse_cell(BY_HEADER["是否居住在辖区"], "否", DIRECTORY) is False


def test_organizations_by_name_path_or_id() -> None:
    assert DIRECTORY.resolve("第一党支部") == BRANCH
    assert DIRECTORY.resolve("退休党员支部/第一党小组") == RETIRED_GROUP
    assert DIRECTORY.resolve(str(GROUP)) == GROUP
    with pytest.raises(UnknownOrganization, match="2 个名为「第一党小组」"):
        DIRECTORY.resolve("第一党小组")
    with pytest.raises(UnknownOrganization, match="没有名为「第九党支部」"):
        DIRECTORY.resolve("第九党支部")
    with pytest.raises(UnknownOrganization, match="没有这个编号"):
        DIRECTORY.resolve(str(COMMUNITY))  # a community cannot hold membership
    assert DIRECTORY.label(BRANCH) == "第一党支部"
    assert DIRECTORY.label(GROUP) == "第一党支部/第一党小组"


def test_a_good_row_becomes_a_registration() -> None:
    result = parsed(
        f"张三,男,{ID_MALE.lower()},138 0000 0001,大学本科,书法、电工,2010/7/1,"
        "社区党员、在职党员,第一党支部,否"
    )
    assert errors_of(result) == []
    (row,) = result.rows
    member = row.member
    assert row.row == 2 and member is not None
    assert (member.name, member.gender, member.id_number, member.mobile) == (
        "张三",
        Gender.male,
        ID_MALE,
        "13800000001",
    )
    assert member.joined_at == date(2010, 7, 1)
    assert member.categories == [Category.community, Category.in_service]
    assert member.specialties == ["书法", "电工"]
    assert member.home_organization_id == BRANCH and member.community_id == COMMUNITY
    assert member.lives_in_area is False


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_encodings_excel_saves(encoding: str) -> None:
    table = csv_table(f"李秀英,女,{ID_FEMALE},,,,,离退休党员,退休党员支部,是", encoding=encoding)
    assert table.headers[0] == "姓名"  # no BOM left on the first header
    result = parse_table(table, DIRECTORY, COMMUNITY)
    assert errors_of(result) == []
    member = result.rows[0].member
    assert member is not None and member.name == "李秀英"
    assert member.home_organization_id == RETIRED


def test_undecodable_or_old_excel_files_are_refused() -> None:
    with pytest.raises(SheetUnreadable, match="编码"):
        read_table(b"\xff\xff\xff\x81\x30", "a.csv")
    with pytest.raises(SheetUnreadable, match=r"\.xls"):
        read_table(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "a.xls")
    with pytest.raises(SheetUnreadable, match="空"):
        read_table(b"\r\n,,\r\n", "a.csv")


def test_bad_cells_are_reported_by_row_column_and_message() -> None:
    bad_check_digit = ID_MALE[:-1] + "7"
    result = parsed(
        f"张三,男,{bad_check_digit},13800000001,,,,,第一党支部,是",
        ",,,,,,,,,",  # a blank line is skipped, and not counted
        "李四,男,,12345,,,2010-13-01,,第九党支部,是",
        "王五,男,,,大学,,,游客党员,第一党支部,也许",
        ",女,,,,,,,,",
    )
    assert len(result.rows) == 4
    assert errors_of(result) == [
        (2, "身份证号", "身份证号校验位不正确，请核对最后一位"),
        (4, "手机号", "不是有效的中国大陆手机号"),
        (4, "入党日期", "日期不存在（2010年13月1日）"),
        (
            4,
            "所在党组织",
            "本社区没有名为「第九党支部」的党组织（可填本社区的党委、党总支、党支部、党小组，"
            "与本社区共驻共建的单位党组织，或已有党员居住在本社区的单位党组织）",
        ),
        (5, "党员类别", CATEGORY_MESSAGE),
        (5, "是否居住在辖区", "取值「也许」不在可选范围内（可选：是、否）"),
        (6, "姓名", "必填，不能为空"),
        (6, "所在党组织", "必填，不能为空"),
    ]
    assert all(r.member is None for r in result.rows)


def test_identity_and_length_problems_land_on_their_column() -> None:
    result = parsed(f"{'长' * 51},男,,,,,,,第一党支部,是")
    assert errors_of(result) == [(2, "姓名", "内容过长（最多 50 个字）")]


def test_missing_required_columns_are_reported_once() -> None:
    result = parsed("张三,男", "李四,女", header="姓名,性别")
    assert errors_of(result) == [(1, "所在党组织", "缺少必需的列「所在党组织」")]
    assert [r.row for r in result.rows] == [2, 3]


def test_xlsx_with_a_title_row_numbers_rows_as_excel_does() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["幸福社区党员台账（2026年）"])
    sheet.append(["序号", "*姓名", "出生日期", "身份证号", "所在党组织"])
    sheet.append([1, "赵六", datetime(1960, 5, 4), None, "第一党支部"])
    sheet.append([2, "钱七", None, 110105198001010010, "第一党支部"])  # an ID typed as a number
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table(buffer.getvalue(), "roster.xlsx")
    assert table.header_row == 2
    result = parse_table(table, DIRECTORY, COMMUNITY)
    first, second = result.rows
    assert first.row == 3 and first.member is not None
    assert first.member.birth_date == date(1960, 5, 4)
    assert [(e.row, e.column) for e in second.errors] == [(4, "身份证号")]
    assert "文本格式" in second.errors[0].message
