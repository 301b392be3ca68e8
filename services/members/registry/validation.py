"""Checks on personal data at the edge: ID numbers (GB 11643) and Chinese mobile numbers.

Messages are Chinese and say what to fix; they never echo the number back (it would
end up in logs and error reports)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import phonenumbers
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent
from stdnum.util import clean

_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_ID_CHARACTERS = re.compile(r"[0-9X]*")
_MOBILE_SHAPE = re.compile(r"1[0-9]{10}")
_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def compact_id_number(value: str) -> str:
    """The number as typed, without what people type between its digits: spaces and
    dashes of any width (full-width digits and ``Ｘ`` from a Chinese input method are
    read as their ASCII forms), upper-case ``X``."""
    text = value if value.isascii() else unicodedata.normalize("NFKC", value)
    return str(clean(text, " -")).strip().upper()


def normalize_id_number(value: str) -> str:
    """18-digit resident ID number with a valid check digit, birth date and area code.

    Separators are removed first (:func:`compact_id_number`). A well-formed number takes
    a quick path (the check digit, the date, one set look-up for the area); anything else
    goes through :func:`validated_id_number` for the reason it fails. Imports and syncs
    check tens of thousands of numbers, and this was most of their CPU time."""
    number = value.strip().upper()
    if not _ID_SHAPE.fullmatch(number):
        number = compact_id_number(number)
        if not _ID_SHAPE.fullmatch(number):
            return validated_id_number(number)
    if ric.calc_check_digit(number) == number[-1] and number[:6] in AREA_CODES:
        try:
            date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            return validated_id_number(number)
        return number
    return validated_id_number(number)


def _area_codes() -> frozenset[str]:
    """Every six-digit area code in stdnum's data (``stdnum/cn/loc.dat``), whatever the
    years it was in use.

    ``ric.validate`` asks whether the code existed in the holder's birth year. But the
    code is where the number was first issued (from 1984 on), not where the person was
    born: someone born in 1958 in a county that became a city-level district in 1983
    carries the 1983 code, and stdnum refuses them. So a number is accepted when its
    code has ever existed (which also requires a valid province prefix)."""
    codes: set[str] = set()
    for _, low, high, _, counties in numdb.get("cn/loc").prefixes:
        for province in _span(low, high):
            for _, first, last, _, _ in counties:
                codes.update(province + county for county in _span(first, last))
    return frozenset(codes)


def _span(low: str, high: str) -> list[str]:
    """The codes of one numdb line, which may name a range (``0101-0105``)."""
    return [str(n).zfill(len(low)) for n in range(int(low), int(high) + 1)]


AREA_CODES = _area_codes()


def validated_id_number(value: str) -> str:
    """:func:`normalize_id_number` the long way, each check in turn for its message."""
    number = compact_id_number(value)
    if not _ID_CHARACTERS.fullmatch(number):
        raise ValueError("身份证号格式不正确，只能包含数字和X")
    if len(number) != 18:
        raise ValueError("身份证号应为18位")
    if not _ID_SHAPE.fullmatch(number):
        raise ValueError("身份证号格式不正确，X只能是最后一位")
    if ric.calc_check_digit(number) != number[-1]:
        raise ValueError("身份证号校验位不正确，请核对最后一位")
    try:
        ric.get_birth_date(number)
    except InvalidComponent:
        raise ValueError("身份证号中的出生日期无效") from None
    if number[:6] not in AREA_CODES:
        raise ValueError("身份证号中的地区码无效")
    return number


def birth_date_from_id(id_number: str) -> date:
    born: date = ric.get_birth_date(id_number)
    return born


def gender_from_id(id_number: str) -> str:
    """The 17th digit is odd for men and even for women."""
    return "male" if int(id_number[16]) % 2 == 1 else "female"


def normalize_mobile(value: str) -> str:
    """A mainland China mobile number, stored as its 11 digits.

    Eleven plain digits starting with 1 skip ``phonenumbers.parse`` (same answer, a
    tested claim); anything else, and every refusal, goes through it for the message."""
    if _MOBILE_SHAPE.fullmatch(value):
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(value))
        # number_type is UNKNOWN for an invalid number: one call answers both questions.
        if phonenumbers.number_type(number) in _MOBILE_TYPES:
            return value
    return parsed_mobile(value)


def parsed_mobile(value: str) -> str:
    """:func:`normalize_mobile` the long way, through ``phonenumbers.parse``."""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError("手机号格式不正确") from None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise ValueError("不是有效的中国大陆手机号")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValueError("请填写手机号（不是固定电话）")
    return str(number.national_number)


def mask_mobile(mobile: str | None) -> str | None:
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) == 11 else mobile


def mask_id_number(id_number: str | None) -> str | None:
    return f"{id_number[:4]}**********{id_number[-4:]}" if id_number else id_number
