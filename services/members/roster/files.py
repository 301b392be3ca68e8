"""Reading a roster file into rows of cells: .xlsx through openpyxl, or CSV as Excel
saves it (UTF-8 with or without BOM, GB18030 from Chinese Excel, UTF-16 "Unicode text").

Row numbers are the ones staff see in Excel: the sheet's own row numbers, or the
record's position in the CSV (the header is row 1)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from openpyxl import load_workbook

from services.members.roster.columns import canonical_header

Cell = str | int | float | bool | date | datetime | time | None

SHEET_NAME = "党员台账"
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
_HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common


class RosterUnreadable(Exception):
    """The file is not a roster we can read; the message says what to do."""


@dataclass(frozen=True)
class Table:
    header_row: int
    headers: list[str]  # canonical header of each column position ("" where blank)
    rows: list[tuple[int, list[Cell]]]  # (row number, cells), blank rows left out


def read_table(data: bytes, filename: str | None = None) -> Table:
    if len(data) > MAX_BYTES:
        raise RosterUnreadable(f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB），请分批导入")
    name = (filename or "").lower()
    if data.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise RosterUnreadable("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入")
    if data.startswith(b"PK"):
        rows = _xlsx_rows(data)
    elif name.endswith((".xlsx", ".xlsm")):
        raise RosterUnreadable("文件不是有效的 .xlsx 文件，可能已损坏")
    else:
        rows = _csv_rows(decode_csv(data))
    return _table(rows)


def _xlsx_rows(data: bytes) -> list[list[Cell]]:
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise RosterUnreadable("文件不是有效的 .xlsx 文件，可能已损坏") from None
    sheet = book[SHEET_NAME] if SHEET_NAME in book.sheetnames else book.worksheets[0]
    if sheet.max_row > MAX_ROWS + _HEADER_SEARCH_ROWS:
        raise RosterUnreadable(f"行数过多（超过 {MAX_ROWS} 行），请分批导入")
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def decode_csv(data: bytes) -> str:
    """UTF-8 (BOM or not) first; what Chinese Excel saves as "CSV" is GB18030 (GBK)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise RosterUnreadable(
            "无法识别文件的文字编码，请在 Excel 中另存为 .xlsx 或 “CSV UTF-8” 后再导入"
        ) from None


def _csv_rows(text: str) -> list[list[Cell]]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        rows: list[list[Cell]] = []
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(list(record))
            if len(rows) > MAX_ROWS + _HEADER_SEARCH_ROWS:
                raise RosterUnreadable(f"行数过多（超过 {MAX_ROWS} 行），请分批导入")
    except csv.Error:
        raise RosterUnreadable("CSV 文件格式不正确（引号不成对？）") from None
    return rows


def blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(" \t\r\n\u3000"))


def _table(rows: list[list[Cell]]) -> Table:
    filled = [(n, cells) for n, cells in enumerate(rows, start=1) if not all(map(blank, cells))]
    if not filled:
        raise RosterUnreadable("文件是空的，没有找到表头和党员数据")
    header_at = 0
    for i, (_, cells) in enumerate(filled[:_HEADER_SEARCH_ROWS]):
        if "姓名" in _headers(cells):
            header_at = i
            break
    header_row, header_cells = filled[header_at]
    return Table(header_row, _headers(header_cells), filled[header_at + 1 :])


def _headers(cells: list[Cell]) -> list[str]:
    return [canonical_header(str(c)) if not blank(c) else "" for c in cells]
