"""Uploaded files are read with limits checked while reading: zip bombs, files whose zip
directory lies, XML entities, too many rows, YAML alias bombs, deep nesting. Each is
refused with a Chinese message, quickly, and never with a crash."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import pytest
from openpyxl import Workbook

from shared.spreadsheets.reader import SheetLimits, SheetUnreadable, read_rows
from shared.uploads.documents import DocumentLimits, DocumentRejected, load_json, load_yaml

SHEET = "xl/worksheets/sheet1.xml"
LIMITS = SheetLimits(max_rows=100, header_rows=2)


def xlsx_with_sheet(
    sheet_data: str, *, head: str = "", method: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """A real workbook whose sheet XML is replaced: ``head`` before the root element
    (openpyxl writes no XML declaration), ``sheet_data`` as the content of <sheetData>."""
    book = Workbook()
    book.active.append(["姓名"])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == SHEET:
                text = data.decode()
                start, rest = text.split("<sheetData>", 1)
                end = rest.split("</sheetData>", 1)[1]
                text = f"{head}{start}<sheetData>{sheet_data}</sheetData>{end}"
                data = text.encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def rows_xml(n: int, text: str = "x") -> str:
    return "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{text}{i}</t></is></c></row>'
        for i in range(1, n + 1)
    )


def test_a_small_file_that_inflates_to_200000_rows_is_refused_by_its_ratio() -> None:
    row = '<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    bomb = xlsx_with_sheet(row * 200_000)
    assert len(bomb) < 40_000
    with pytest.raises(SheetUnreadable, match="压缩比异常"):
        read_rows(bomb, "a.xlsx", LIMITS)


def test_rows_are_counted_while_reading_and_the_rest_is_never_parsed() -> None:
    # Broken XML after row 200: had the reader parsed the whole sheet first, it would
    # report a broken file; it stops at the 103rd non-blank row (100 + 2 header rows).
    data = xlsx_with_sheet(rows_xml(200) + "<row r='201'><c><unclosed>")
    with pytest.raises(SheetUnreadable, match="行数过多（超过 100 行）"):
        read_rows(data, "a.xlsx", LIMITS)
    within = read_rows(xlsx_with_sheet(rows_xml(102)), "a.xlsx", LIMITS)
    assert [n for n, _ in within] == list(range(1, 103))


def test_blank_rows_and_gaps_are_not_counted() -> None:
    far = '<row r="1048000"><c r="A1048000" t="inlineStr"><is><t>末行</t></is></c></row>'
    blank = "".join(f'<row r="{i}" s="1" customFormat="1"/>' for i in range(3, 5000))
    rows = read_rows(xlsx_with_sheet(rows_xml(2) + blank + far), "a.xlsx", LIMITS)
    assert rows == [(1, ["x1"]), (2, ["x2"]), (1048000, ["末行"])]


def test_the_inflated_size_is_checked_before_parsing() -> None:
    data = xlsx_with_sheet(rows_xml(30_000, "姓名不同"))
    small = SheetLimits(max_rows=100_000, max_inflated_bytes=1024 * 1024)
    with pytest.raises(SheetUnreadable, match="解压后过大（超过 1 MB）"):
        read_rows(data, "a.xlsx", small)


def test_too_many_zip_entries_are_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(1_001):
            archive.writestr(f"x/{i}.xml", "<a/>")
    with pytest.raises(SheetUnreadable, match="条目过多"):
        read_rows(out.getvalue(), "a.xlsx", LIMITS)


def test_other_compression_methods_are_refused() -> None:
    with pytest.raises(SheetUnreadable, match="压缩方式"):
        read_rows(xlsx_with_sheet(rows_xml(2), method=zipfile.ZIP_BZIP2), "a.xlsx", LIMITS)


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with ``name``'s uncompressed size written as ``size`` in both headers."""
    raw = bytearray(data)
    encoded = name.encode()
    local = raw.find(b"PK\x03\x04")
    while local != -1:
        length = struct.unpack_from("<H", raw, local + 26)[0]
        if raw[local + 30 : local + 30 + length] == encoded:
            struct.pack_into("<I", raw, local + 22, size)
        local = raw.find(b"PK\x03\x04", local + 4)
    central = raw.find(b"PK\x01\x02")
    while central != -1:
        length = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46 : central + 46 + length] == encoded:
            struct.pack_into("<I", raw, central + 24, size)
        central = raw.find(b"PK\x01\x02", central + 4)
    return bytes(raw)


def test_a_zip_directory_that_understates_a_size_does_not_get_past_it() -> None:
    row = '<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    honest = xlsx_with_sheet(row * 200_000)
    lying = _declare_size(honest, SHEET, 1_000)  # the ratio looks harmless now
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:
        assert archive.getinfo(SHEET).file_size == 1_000
    with pytest.raises(SheetUnreadable, match="可能已损坏"):
        read_rows(lying, "a.xlsx", LIMITS)


def test_xml_entities_are_refused() -> None:
    head = '<!DOCTYPE worksheet [<!ENTITY a "啊啊啊啊啊啊啊啊">]>'
    cell = '<row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row>'
    with pytest.raises(SheetUnreadable, match="实体"):
        read_rows(xlsx_with_sheet(cell, head=head), "a.xlsx", LIMITS)


@pytest.mark.parametrize(
    "sheet_data",
    [
        "<row r='1'><c r='A1' t='inlineStr'><is><t>x</t></is></c>",  # unclosed
        "<row r='1'><c r='A1' t='s'><v>99</v></c></row>",  # no such shared string
        "<row r='x'><c r='A1' t='n'><v>1</v></c></row>",  # a row number that is not one
    ],
)
def test_a_broken_sheet_is_unreadable_not_a_crash(sheet_data: str) -> None:
    with pytest.raises(SheetUnreadable, match="可能已损坏"):
        read_rows(xlsx_with_sheet(sheet_data), "a.xlsx", LIMITS)


def test_csv_rows_are_counted_while_reading_and_nul_is_refused() -> None:
    lines = ["姓名"] + [f"张{i}" for i in range(103)] + [",,,"] * 5
    with pytest.raises(SheetUnreadable, match="行数过多"):
        read_rows("\r\n".join(lines).encode(), "a.csv", LIMITS)
    with pytest.raises(SheetUnreadable, match="第 2 行第 1 列含有空字符"):
        read_rows("姓名\r\n张\x00三".encode(), "a.csv", LIMITS)


def test_a_csv_row_is_read_up_to_the_column_limit() -> None:
    rows = read_rows(("a," * 10_000).encode(), "a.csv", SheetLimits(max_rows=1, max_columns=3))
    assert rows == [(1, ["a", "a", "a"])]


# Documents (onboarding descriptions and the like)

DOC = DocumentLimits(max_depth=32, max_values=100_000)
BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
)


def test_a_yaml_alias_bomb_is_refused_before_it_is_expanded() -> None:
    assert len(BILLION_LAUGHS) < 800
    with pytest.raises(DocumentRejected, match="别名（\\*）展开后内容过多"):
        load_yaml(BILLION_LAUGHS.encode(), DOC)


def test_an_alias_that_contains_itself_is_refused() -> None:
    with pytest.raises(DocumentRejected, match="包含它自己"):
        load_yaml(b"a: &a [1, *a]", DOC)


def test_harmless_aliases_are_read() -> None:
    data = load_yaml(b"base: &b {points: 60}\none: *b\ntwo: *b", DOC)
    assert data == {"base": {"points": 60}, "one": {"points": 60}, "two": {"points": 60}}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 900, 5_000, 100_000])
def test_deep_nesting_is_refused(depth: int) -> None:
    for load in (load_json, load_yaml):
        with pytest.raises(DocumentRejected, match="嵌套过深（超过 32 层）"):
            load(nested(depth).encode(), DOC)


def test_nesting_up_to_the_limit_is_read() -> None:
    assert load_json(nested(32).encode(), DOC) == json.loads(nested(32))
    assert load_yaml(nested(32).encode(), DOC) == json.loads(nested(32))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"a": "x\\u0000y"}', "空字符"),
        ('{"a": NaN}', "NaN"),
        ('{"a": ' + "1" * 5_000 + "}", "数字过长"),
        ('{"a": ', "第 1 行第 7 列"),
    ],
)
def test_json_values_the_database_cannot_hold_are_refused(raw: str, message: str) -> None:
    with pytest.raises(DocumentRejected, match=message):
        load_json(raw.encode(), DOC)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('a: "x\\0y"', "空字符"),
        ("a: .nan", "NaN"),
        ("a: " + "1" * 5_000, "数字过长"),
        ("a: !!binary aGVsbG8=", "bytes"),
        ("a: !!set {x}", "对象的键|set"),
        ("a: [1\nb: 2", "第 2 行"),
    ],
)
def test_yaml_values_the_database_cannot_hold_are_refused(raw: str, message: str) -> None:
    with pytest.raises(DocumentRejected, match=message):
        load_yaml(raw.encode(), DOC)


def test_yaml_dates_stay_as_written() -> None:
    assert load_yaml(b"since: 2024-01-01", DOC) == {"since": "2024-01-01"}


def test_yaml_brackets_are_refused_as_they_open_not_after_the_scanner_looked_ahead() -> None:
    # PyYAML's scanner reads ahead through unclosed brackets (at a cost that grows with
    # the square of their number) before the composer sees any depth: here it would
    # reach the broken quote and report that. The limit stops it at the 33rd bracket.
    with pytest.raises(DocumentRejected, match="嵌套过深"):
        load_yaml(b"[" * 40 + b"'unclosed", DOC)
