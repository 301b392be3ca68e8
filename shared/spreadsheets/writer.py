"""Writing exports: one sheet of a header row and data rows, as .xlsx (or CSV).

Every text value goes through the formula guard (:func:`.cells.neutralise`) and every
text cell is stored with the string type, so nothing a caller typed can become a live
formula in the file; dates and numbers keep their types. Exports of every service use
this module rather than openpyxl directly."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from shared.spreadsheets.cells import neutralise

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"  # Excel keeps what is typed into such a cell as text (an ID number)

Value = str | int | float | bool | date | datetime | time | None


@dataclass(frozen=True)
class SheetColumn:
    header: str
    width: int  # in Excel character units
    number_format: str | None = None  # DATE_FORMAT, TEXT_FORMAT, ...


def text(value: str) -> str:
    """A text value as it is written: guarded, without the control characters an .xlsx
    cannot hold (openpyxl refuses them; they are invisible in a cell anyway)."""
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))


def xlsx_bytes(
    title: str, columns: Sequence[SheetColumn], rows: Iterable[Sequence[Value]]
) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append([text(c.header) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for values in rows:
        sheet.append([text(v) if isinstance(v, str) else v for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # The guard already keeps "=" out of first place; the type makes sure no
                # reader (or a later openpyxl) takes the cell for a formula all the same.
                cell.data_type = "s"
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
        if column.number_format is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = column.number_format
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[Value]]) -> str:
    """CSV as OWASP asks: every field quoted, quotes doubled, text guarded. Dates as
    ISO 8601. Saved with a BOM (``utf-8-sig``), Excel reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([text(h) for h in headers])
    writer.writerows([_csv_field(v) for v in values] for values in rows)
    return buffer.getvalue()


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value)
