"""From a table of cells to registrations, with every bad cell reported as (row, column
header, Chinese message). Pure: the organizations come in as a directory."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl.utils.datetime import from_excel
from pydantic import BaseModel, Field, ValidationError

from services.members.registry.schemas import MemberCreate
from services.members.registry.validation import normalize_id_number, normalize_mobile
from services.members.roster.columns import (
    BY_HEADER,
    CATEGORIES,
    COLUMNS,
    EDUCATION_LABELS,
    EDUCATIONS,
    FIELD_HEADERS,
    GENDERS,
    LIST_SEPARATORS,
    TAG_SEPARATORS,
    YES_NO,
    Column,
    Kind,
)
from services.members.roster.directory import OrgDirectory, UnknownOrganization
from services.members.roster.files import Table
from shared.contracts.vocabulary import CATEGORY_LABELS
from shared.spreadsheets.reader import Cell, blank


class RosterError(BaseModel):
    """The one shape of a roster error, in the import's report and in a refusal alike."""

    row: int = Field(description="行号，与 Excel 中显示的一致")
    column: str | None = Field(description="列名（表头）；整行或整个文件的问题为空")
    message: str


@dataclass
class ParsedRow:
    row: int
    member: MemberCreate | None
    errors: list[RosterError] = field(default_factory=list)
    already_registered: bool = False  # someone already in the community's roster


@dataclass
class ParsedFile:
    header_errors: list[RosterError]  # missing required columns: nothing can be imported
    rows: list[ParsedRow]


class BadCell(ValueError):
    """The message is for staff and never repeats a personal number."""


_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
DATE_HINT = "请写成 2020-07-01、2020/7/1 或 2020年7月1日"
_EXCEL_SERIAL_MAX = 2_958_465  # 9999-12-31


def text_of(value: Cell) -> str:
    if blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip(" \t\r\n\u3000")


def parse_date(value: Cell) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
        if 19000101 <= number <= 99991231:
            return _ymd(*_COMPACT_DATE.match(str(number)).groups())  # type: ignore[union-attr]
        if 1900 <= value <= 2100:  # a year alone would read as a serial in 1905
            raise BadCell(f"只填了年份，请填写完整日期，{DATE_HINT}")
        if 1 <= value <= _EXCEL_SERIAL_MAX:  # a date cell Excel stored without date format
            converted = from_excel(value)
            if isinstance(converted, datetime):
                return converted.date()
        raise BadCell(f"不是有效的日期，{DATE_HINT}")
    text = text_of(value)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None and text.isdigit() and len(text) == 4:
        raise BadCell(f"只填了年份，请填写完整日期，{DATE_HINT}")
    if match is None:
        raise BadCell(f"不是有效的日期，{DATE_HINT}")
    return _ymd(*match.groups()[:3])


def _ymd(year: str, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise BadCell(f"日期不存在（{year}年{int(month)}月{int(day)}日）") from None


def _choice(value: str, choices: dict[str, Any], labels: list[str], what: str) -> Any:
    found = choices.get(value, choices.get(value.upper()))
    if found is None:
        raise BadCell(f"{what}「{value}」不在可选范围内（可选：{'、'.join(labels)}）")
    return found


def parse_cell(column: Column, value: Cell, directory: OrgDirectory) -> Any:
    """The field value of one non-blank cell, or :class:`BadCell`."""
    kind = column.kind
    if kind == Kind.date:
        return parse_date(value)
    if kind == Kind.id_number:
        if isinstance(value, int | float) or "E+" in text_of(value).upper():
            raise BadCell("身份证号被存成了数字，末几位已丢失；请把该列设为文本格式后重新填写")
        return _personal(normalize_id_number, text_of(value))
    if kind == Kind.mobile:
        return _personal(normalize_mobile, text_of(value))
    text = text_of(value)
    if kind == Kind.text:
        return text
    if kind == Kind.gender:
        return _choice(text, GENDERS, ["男", "女"], "性别")
    if kind == Kind.education:
        return _choice(text, EDUCATIONS, list(EDUCATION_LABELS.values()), "文化程度")
    if kind == Kind.yes_no:
        return _choice(text, YES_NO, ["是", "否"], "取值")
    if kind == Kind.tags:
        return [t.strip() for t in TAG_SEPARATORS.split(text) if t.strip()]
    if kind == Kind.categories:
        names = [t for t in LIST_SEPARATORS.split(text) if t]
        unknown = [n for n in names if n not in CATEGORIES]
        if unknown:
            raise BadCell(
                f"未知的党员类别「{'、'.join(unknown)}」"
                f"（可选：{'、'.join(CATEGORY_LABELS.values())}，多个用“、”分隔）"
            )
        return [CATEGORIES[n] for n in names]
    if kind == Kind.organization:
        try:
            return directory.resolve(text)
        except UnknownOrganization as exc:
            raise BadCell(str(exc)) from None
    raise AssertionError(f"column kind {kind} is not imported")


def _personal(normalize: Any, text: str) -> str:
    try:
        result: str = normalize(text)
    except ValueError as exc:
        raise BadCell(str(exc)) from None
    return result


def parse_table(table: Table, directory: OrgDirectory, community_id: uuid.UUID) -> ParsedFile:
    positions: dict[str, int] = {}
    for i, header in enumerate(table.headers):
        if header in BY_HEADER and BY_HEADER[header].imported:
            positions.setdefault(header, i)  # a repeated header: the first one counts
    missing = [c.header for c in COLUMNS if c.required and c.header not in positions]
    header_errors = [
        RosterError(row=table.header_row, column=h, message=f"缺少必需的列「{h}」") for h in missing
    ]
    if header_errors:
        return ParsedFile(header_errors, [ParsedRow(n, None) for n, _ in table.rows])
    columns = [(BY_HEADER[h], i) for h, i in positions.items()]
    return ParsedFile(
        [], [parse_row(n, cells, columns, directory, community_id) for n, cells in table.rows]
    )


def parse_row(
    row: int,
    cells: list[Cell],
    columns: list[tuple[Column, int]],
    directory: OrgDirectory,
    community_id: uuid.UUID,
) -> ParsedRow:
    values: dict[str, Any] = {}
    errors: list[RosterError] = []
    for column, position in columns:
        value = cells[position] if position < len(cells) else None
        if blank(value):
            if column.required:
                errors.append(RosterError(row=row, column=column.header, message="必填，不能为空"))
            continue
        try:
            values[column.field] = parse_cell(column, value, directory)
        except BadCell as exc:
            errors.append(RosterError(row=row, column=column.header, message=str(exc)))
    if errors:
        return ParsedRow(row, None, errors)
    try:
        member = MemberCreate(community_id=community_id, **values)
    except ValidationError as exc:
        return ParsedRow(row, None, [_from_pydantic(row, e) for e in exc.errors()])
    return ParsedRow(row, member)


_PYDANTIC_MESSAGES = {
    "string_too_long": "内容过长（最多 {max_length} 个字）",
    "string_too_short": "不能为空",
    "too_long": "条目过多（最多 {max_length} 项）",
}


def _from_pydantic(row: int, error: Any) -> RosterError:
    loc = error.get("loc", ())
    column = FIELD_HEADERS.get(str(loc[0])) if loc else None
    template = _PYDANTIC_MESSAGES.get(error.get("type", ""))
    if template is not None:
        message = template.format(**(error.get("ctx") or {}))
    else:
        message = str(error.get("msg", "格式不正确")).removeprefix("Value error, ")
    if column in ("专业特长", "兴趣爱好") and len(loc) > 1 and error.get("type") != "too_long":
        message = f"第 {int(loc[1]) + 1} 项{message}"
    return RosterError(row=row, column=column, message=message)
