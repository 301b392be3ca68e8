"""Checks on personal data at the edge: ID numbers (GB 11643) and Chinese mobile numbers.

Messages are Chinese and say what to fix; they never echo the number back (it would
end up in logs and error reports)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

# A roster row or sync row is checked cell by cell and then again as a whole record; the
# small caches make the second check of the same number free (stdnum and phonenumbers
# are most of a big import's CPU time). Errors are not cached: they are raised again.
_RECENT = 64


@lru_cache(maxsize=_RECENT)
def normalize_id_number(value: str) -> str:
    """18-digit resident ID number with a valid check digit, birth date and area code."""
    try:
        return str(ric.validate(value))  # compacts (separators, spaces, lower-case x) first
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


@lru_cache(maxsize=_RECENT)
def normalize_mobile(value: str) -> str:
    """A mainland China mobile number, stored as its 11 digits."""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError("手机号格式不正确") from None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise ValueError("不是有效的中国大陆手机号")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError("请填写手机号（不是固定电话）")
    return str(number.national_number)


def mask_mobile(mobile: str | None) -> str | None:
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) == 11 else mobile


def mask_id_number(id_number: str | None) -> str | None:
    return f"{id_number[:4]}**********{id_number[-4:]}" if id_number else id_number
