"""The formula guard (OWASP, "CSV Injection"): a text cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return is read by Excel, LibreOffice and WPS as a formula
(``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``), so exports prefix it with a single quote.

Import takes the quote off again, so an exported file re-imports to the same values. To
keep that exact for values that themselves begin with quotes, the guard looks past leading
quotes: ``'=x`` is written ``''=x`` and read back as ``'=x``; ``'abc`` is left alone both
ways. A plain number (``-5``, ``+8613800000000``, ``-0.5``) is not a formula and is left
as it is: the quote would only show in the cell."""

from __future__ import annotations

import re

# OWASP's list, and line feed: XML turns a carriage return into one, so "\r=..." comes
# back from an .xlsx as "\n=..." and must still lose the quote the export gave it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _reads_as_formula(text: str) -> bool:
    bare = text.lstrip(QUOTE)
    return bare.startswith(FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(bare) is None


def neutralise(text: str) -> str:
    """The text as an export writes it: quoted when a spreadsheet would run it."""
    return QUOTE + text if _reads_as_formula(text) else text


def restore(text: str) -> str:
    """The inverse of :func:`neutralise`, for what an import reads."""
    if text.startswith(QUOTE) and _reads_as_formula(text):
        return text[1:]
    return text
