"""Spreadsheets that leave or enter the platform: every export is written through
:mod:`.writer` (text cells stay text, never formulas) and every uploaded table is read
through :mod:`.reader` (off the event loop, with limits checked while reading). The rule
that ties the two together, the formula guard, is :mod:`.cells`."""
