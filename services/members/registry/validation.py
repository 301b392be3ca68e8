"""Checks on personal data at the edge: ID numbers (GB 11643) and Chinese mobile numbers.

Messages are Chinese and say what to fix; they never echo the number back (it would
end up in logs and error reports)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_MOBILE_SHAPE = re.compile(r"1\d{10}")
_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def normalize_id_number(value: str) -> str:
    """18-digit resident ID number with a valid check digit, birth date and area code.

    A well-formed number takes a quick path with stdnum's own checks, the area look-up
    (its slow part, and depending only on area code and birth year) cached; anything
    else goes through ``ric.validate`` for the reason it fails. Imports and syncs check
    tens of thousands of numbers, and this was most of their CPU time."""
    number = value.strip().upper()
    if _ID_SHAPE.fullmatch(number) and ric.calc_check_digit(number) == number[-1]:
        try:
            date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            return validated_id_number(value)
        if _area_known(number[:10]):
            return number
    return validated_id_number(value)


@lru_cache(maxsize=8192)
def _area_known(area_and_year: str) -> bool:
    try:
        ric.get_birth_place(area_and_year + "01010000")
    except KeyError:  # a city-level code: see validated_id_number
        return True
    except ValueError:
        return False
    return True


def validated_id_number(value: str) -> str:
    """:func:`normalize_id_number` the long way, through ``ric.validate``."""
    try:
        return str(ric.validate(value))  # compacts (separators, spaces, lower-case x) first
    except KeyError:
        # stdnum's area look-up fails this way on a city-level code (e.g. 110100) after
        # every other check passed: the area exists, so the number is accepted.
        return str(ric.compact(value))
    except InvalidLength:
        raise ValueError("身份证号应为18位") from None
    except InvalidChecksum:
        raise ValueError("身份证号校验位不正确，请核对最后一位") from None
    except InvalidComponent:
        raise ValueError("身份证号中的出生日期或地区码无效") from None
    except InvalidFormat:
        raise ValueError("身份证号格式不正确") from None


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
