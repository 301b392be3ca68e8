"""Reading an uploaded table into rows of cells: .xlsx through openpyxl, or CSV as Excel
saves it (UTF-8 with or without BOM, GB18030 from Chinese Excel, UTF-16 "Unicode text").
Call it through :func:`shared.uploads.off_loop`.

An .xlsx is a zip of XML. Before openpyxl opens it, the zip's directory is checked:
entry count, compression method, inflated size in all and each entry's compression ratio
(``zipfile`` stops an entry at its declared size and then fails on the checksum, so a
directory that lies is caught as well). openpyxl then reads the sheet streaming
(read-only mode) through defusedxml (no entities, no DTD tricks), and rows are counted
as they come: the first row past the limit ends the reading.

Text cells come back with the formula guard taken off (:func:`.cells.restore`), so what
an export wrote is what an import reads."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl import load_workbook

from shared.log import get_logger
from shared.spreadsheets.cells import restore
from shared.uploads import UploadRejected

log = get_logger(__name__)

if not openpyxl.DEFUSEDXML:  # pragma: no cover - defusedxml is a pinned dependency
    raise RuntimeError("openpyxl must parse through defusedxml (pip install defusedxml)")

Cell = str | int | float | bool | date | datetime | time | None
# (row number as the sheet shows it, cells); blank rows are left out.
Rows = list[tuple[int, list[Cell]]]

EXCEL_MAX_ROWS = 1_048_576
_MB = 1024 * 1024
# Entries smaller than this are not held to the ratio: tiny XML parts compress oddly.
_RATIO_FLOOR = 256 * 1024
BROKEN_XLSX = "文件不是有效的 .xlsx 文件，可能已损坏；请在 Excel 中另存为 .xlsx 后再导入"


@dataclass(frozen=True)
class SheetLimits:
    max_rows: int  # data rows (non-blank)
    header_rows: int = 10  # rows allowed above the data: a title line or two, the header
    max_columns: int = 64  # cells beyond are not read
    max_bytes: int = 20 * _MB  # the file as uploaded
    # Unzipped: a 20,000-row roster as openpyxl writes it is ~20 MB of XML (Excel's own,
    # with shared strings, less), at ratios of ~12.
    max_inflated_bytes: int = 64 * _MB
    max_ratio: int = 100  # as Apache POI's ZipSecureFile
    max_entries: int = 1_000  # a workbook has a dozen or two


class SheetUnreadable(UploadRejected):
    """The file is not a table we can (or will) read."""


def too_many_rows(limits: SheetLimits) -> SheetUnreadable:
    return SheetUnreadable(f"行数过多（超过 {limits.max_rows} 行），请分批导入")


def read_rows(
    data: bytes, filename: str | None, limits: SheetLimits, *, sheet_name: str | None = None
) -> Rows:
    """The non-blank rows of ``sheet_name`` (else the first sheet), or of the CSV."""
    if len(data) > limits.max_bytes:
        raise SheetUnreadable(f"文件过大（超过 {limits.max_bytes // _MB} MB），请分批导入")
    name = (filename or "").lower()
    if data.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise SheetUnreadable("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入")
    if data.startswith(b"PK"):
        return _xlsx_rows(data, limits, sheet_name)
    if name.endswith((".xlsx", ".xlsm")):
        raise SheetUnreadable(BROKEN_XLSX)
    return _csv_rows(decode_csv(data), limits)


def check_zip(data: bytes, limits: SheetLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise SheetUnreadable(BROKEN_XLSX) from None
    if len(entries) > limits.max_entries:
        raise SheetUnreadable(f"文件中的条目过多（{len(entries)} 个），不是正常的 .xlsx 文件")
    inflated = 0
    for entry in entries:
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SheetUnreadable("文件使用了不支持的压缩方式；请在 Excel 中另存为 .xlsx 后再导入")
        inflated += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
            raise SheetUnreadable(
                f"文件的压缩比异常（解压后是原来的 {ratio:.0f} 倍），不是正常的表格，已拒绝读取"
            )
    if inflated > limits.max_inflated_bytes:
        raise SheetUnreadable(
            f"文件解压后过大（超过 {limits.max_inflated_bytes // _MB} MB），请分批导入"
        )


def _xlsx_rows(data: bytes, limits: SheetLimits, sheet_name: str | None) -> Rows:
    check_zip(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # whatever a broken file makes openpyxl raise
        raise _unreadable(exc) from None
    try:
        sheet = book[sheet_name] if sheet_name in book.sheetnames else book.worksheets[0]
        # Row and column bounds given, not taken from the sheet's own (untrusted) dimension.
        found = sheet.iter_rows(
            min_row=1, max_row=EXCEL_MAX_ROWS, max_col=limits.max_columns, values_only=True
        )
        return _collect(enumerate(found, start=1), limits)
    except UploadRejected:
        raise
    except Exception as exc:
        raise _unreadable(exc) from None
    finally:
        book.close()


def _unreadable(exc: BaseException) -> SheetUnreadable:
    """What to answer for an exception openpyxl raised. It wraps the XML parser's own
    (defusedxml's refusal of an entity among them) in a ValueError of its own."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return SheetUnreadable(
                "文件中含有不允许的 XML 内容（实体定义或外部引用）；"
                "请在 Excel 中另存为 .xlsx 后再导入"
            )
        cause = cause.__cause__ or cause.__context__
    log.info("spreadsheet.unreadable", error_type=type(exc).__name__)
    return SheetUnreadable(BROKEN_XLSX)


def decode_csv(data: bytes) -> str:
    """UTF-8 (BOM or not) first; what Chinese Excel saves as "CSV" is GB18030 (GBK)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    raise SheetUnreadable(
        "无法识别文件的文字编码，请在 Excel 中另存为 .xlsx 或 “CSV UTF-8” 后再导入"
    )


def _csv_rows(text: str, limits: SheetLimits) -> Rows:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Record numbers: the header is row 1, as Excel shows the file.
        return _collect(((n, r[: limits.max_columns]) for n, r in enumerate(records, 1)), limits)
    except csv.Error:
        raise SheetUnreadable("CSV 文件格式不正确（引号不成对？）") from None


def blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(" \t\r\n\u3000"))


def _collect(rows: Iterable[tuple[int, Sequence[Cell]]], limits: SheetLimits) -> Rows:
    """The non-blank rows, counted as they are read."""
    allowed = limits.max_rows + limits.header_rows
    found: Rows = []
    for number, cells in rows:
        if cells.count(None) == len(cells):  # fast path: openpyxl fills gaps with Nones
            continue
        values = list(_cells(number, cells))
        if all(map(blank, values)):
            continue
        while values[-1] is None:  # the padding up to max_columns
            values.pop()
        if len(found) == allowed:
            raise too_many_rows(limits)
        found.append((number, values))
    return found


def _cells(row: int, cells: Iterable[Cell]) -> Iterator[Cell]:
    for column, value in enumerate(cells, start=1):
        if isinstance(value, str):
            if "\x00" in value:
                raise SheetUnreadable(f"第 {row} 行第 {column} 列含有空字符（NUL），请删除后再导入")
            value = restore(value)
        yield value
