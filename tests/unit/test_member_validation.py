from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from stdnum.cn import ric

from services.members.registry.service import check_identity_and_dates
from services.members.registry.validation import (
    gender_from_id,
    mask_id_number,
    mask_mobile,
    normalize_id_number,
    normalize_mobile,
    parsed_mobile,
    validated_id_number,
)
from shared.errors import AppError

VALID_ID = "11010519491231002X"  # the GB 11643 example: born 1949-12-31, female


def test_valid_id_number_is_normalised_and_read() -> None:
    assert normalize_id_number(" 11010519491231002x ") == VALID_ID
    assert gender_from_id(VALID_ID) == "female"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "校验位"),
        ("1101051949123100", "18位"),
        ("11010519491331002X", "校验位"),  # month 13 with a matching check digit fails too
    ],
)
def test_bad_id_numbers_are_refused_with_a_reason(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_id_number(value)


def test_mobile_numbers() -> None:
    assert normalize_mobile("138 1234 5678") == "13812345678"
    assert normalize_mobile("+86 13812345678") == "13812345678"
    for bad in ("12345678901", "1381234567", "abc"):
        with pytest.raises(ValueError):
            normalize_mobile(bad)
    with pytest.raises(ValueError, match="固定电话"):
        normalize_mobile("010-62345678")


def test_quick_mobile_path_agrees_with_phonenumbers() -> None:
    """Every 4-digit prefix of an 11-digit number starting with 1: the quick path accepts
    exactly what ``phonenumbers.parse`` accepts."""
    for prefix in range(1000, 2000):
        for tail in ("0000000", "5678901"):
            value = f"{prefix}{tail}"
            try:
                expected: str | None = parsed_mobile(value)
            except ValueError:
                expected = None
            try:
                found: str | None = normalize_mobile(value)
            except ValueError:
                found = None
            assert found == expected, value


def test_quick_id_path_agrees_with_stdnum() -> None:
    """Real area codes and unknown ones, birth years before and after an area existed,
    bad dates with a matching check digit."""
    for area in ("110105", "310104", "440304", "110100", "999999", "110199"):
        for birth in ("19491231", "19800101", "20000229", "19990229", "20011301"):
            body = area + birth + "002"
            value = body + ric.calc_check_digit(body + "0")
            quick, long = _outcome(normalize_id_number, value), _outcome(validated_id_number, value)
            assert quick == long, value
    assert normalize_id_number(_with_check_digit("11010019800101002")) is not None


def _with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def _outcome(check: Any, value: str) -> str | None:
    try:
        return str(check(value))
    except ValueError:  # stdnum's ValidationError is a ValueError too
        return None


def test_masks() -> None:
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_id_number(VALID_ID) == "1101**********002X"


def test_birth_date_and_gender_come_from_the_id_number() -> None:
    values: dict[str, object] = {"id_number": VALID_ID}
    check_identity_and_dates(values, today=date(2026, 11, 22))
    assert values["birth_date"] == date(1949, 12, 31)
    assert values["gender"] == "female"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"id_number": VALID_ID, "gender": "male"}, "gender"),
        ({"id_number": VALID_ID, "birth_date": date(1950, 1, 1)}, "birth_date"),
        ({"joined_at": date(2027, 1, 1)}, "joined_at"),
        ({"joined_at": date(2000, 7, 1), "full_member_at": date(2000, 1, 1)}, "full_member_at"),
        ({"birth_date": date(1990, 5, 1), "joined_at": date(2007, 7, 1)}, "joined_at"),
    ],
)
def test_contradictions_are_refused_on_the_right_field(
    values: dict[str, object], field: str
) -> None:
    with pytest.raises(AppError) as caught:
        check_identity_and_dates(values, today=date(2026, 11, 22))
    assert caught.value.status == 422
    assert caught.value.details[0].field == field
