"""Masking of personal data for roles that don't need it in full."""

from __future__ import annotations

import re

# Address cut at the street (街道/路/街/道/巷/里), or after the town (镇/乡) when no
# street is named; what follows (numbers, building, room) is dropped.
_STREET = re.compile(r"^.*?(街道|大街|路|街|道|巷|胡同|里|镇|乡)")


def mask_mobile(value: str | None) -> str | None:
    if not value:
        return value
    return value[:3] + "****" + value[-4:] if len(value) >= 8 else "****"


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "********"


def mask_address(value: str | None) -> str | None:
    if not value:
        return value
    match = _STREET.match(value)
    if match is None:
        return "（已隐藏）"
    return value if match.end() == len(value) else match.group(0) + "…"
