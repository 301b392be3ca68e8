"""Reading a roster file into a table: the sheet 党员台账 (else the first) of an .xlsx, or
a CSV, read by :mod:`shared.spreadsheets.reader` with the roster's limits, then the
header row found (a title line or two above it is common).

Row numbers are the ones staff see in Excel: the sheet's own row numbers, or the
record's position in the CSV (the header is row 1)."""

from __future__ import annotations

from dataclasses import dataclass

from services.members.roster.columns import canonical_header
from shared.spreadsheets.reader import (
    Cell,
    Rows,
    SheetLimits,
    SheetUnreadable,
    blank,
    read_rows,
)

SHEET_NAME = "党员台账"
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
_HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common
LIMITS = SheetLimits(max_rows=MAX_ROWS, header_rows=_HEADER_SEARCH_ROWS, max_bytes=MAX_BYTES)


@dataclass(frozen=True)
class Table:
    header_row: int
    headers: list[str]  # canonical header of each column position ("" where blank)
    rows: Rows  # (row number, cells), blank rows left out


def read_table(data: bytes, filename: str | None = None) -> Table:
    """Raises :class:`shared.spreadsheets.reader.SheetUnreadable`. CPU-bound: call it
    through :func:`shared.uploads.off_loop`."""
    filled = read_rows(data, filename, LIMITS, sheet_name=SHEET_NAME)
    if not filled:
        raise SheetUnreadable("文件是空的，没有找到表头和党员数据")
    header_at = 0
    for i, (_, cells) in enumerate(filled[:_HEADER_SEARCH_ROWS]):
        if "姓名" in _headers(cells):
            header_at = i
            break
    header_row, header_cells = filled[header_at]
    return Table(header_row, _headers(header_cells), filled[header_at + 1 :])


def _headers(cells: list[Cell]) -> list[str]:
    return [canonical_header(str(c)) if not blank(c) else "" for c in cells]
