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


# Real numbers from the district trial, refused by stdnum's birth-year rule.
TRIAL_IDS = ("652901195803091235", "650102195205171236", "440305196010021233")


@pytest.mark.parametrize("value", TRIAL_IDS)
def test_numbers_issued_in_areas_newer_than_their_holder_are_accepted(value: str) -> None:
    assert normalize_id_number(value) == value
    assert validated_id_number(value) == value
    assert not ric.is_valid(value)  # what stdnum alone says, and why the wrapper exists


@pytest.mark.parametrize(
    ("area", "created"),
    [
        ("652901", 1983),  # 阿克苏市
        ("650102", 1983),  # 乌鲁木齐天山区
        ("440305", 1983),  # 深圳南头区办事处, 南山区 from 1990
        ("110111", 1986),  # 北京房山区
        ("131002", 1988),  # 廊坊安次区
        ("130481", 1989),  # 武安市
    ],
)
def test_people_born_before_their_area_code_existed_are_accepted(area: str, created: int) -> None:
    """Born in the 1930s to the 1970s, numbered (from 1984 on) in an area created in the
    1980s: the area code is where the number was issued, not where they were born."""
    for year in (1932, 1945, 1958, 1966, 1979):
        assert year < created
        value = _with_check_digit(f"{area}{year}0615031")
        assert normalize_id_number(value) == value


@pytest.mark.parametrize(
    "area",
    [
        "110199",  # 北京 has no such county, in any year
        "119999",
        "990101",  # no province 99
        "000000",
    ],
)
def test_area_codes_that_never_existed_are_refused(area: str) -> None:
    value = _with_check_digit(f"{area}19580309123")
    with pytest.raises(ValueError, match="地区码"):
        normalize_id_number(value)


@pytest.mark.parametrize(
    "typed",
    [
        "110105 19491231 002X",
        "110105-19491231-002x",
        "1101 0519 4912 3100 2X",
        "110105\u300019491231\u2014002X",  # ideographic space, em dash
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width, as a Chinese input method types it
        " 110105 19491231 002X ",
    ],
)
def test_separators_are_removed_before_the_length_check(typed: str) -> None:
    assert normalize_id_number(typed) == VALID_ID


def test_an_id_number_with_other_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="格式"):
        normalize_id_number("110105/19491231/002X")


@pytest.mark.parametrize(
    "typed",
    [
        "138 1234 5678",
        "138-1234-5678",
        "+86 13812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "+8613812345678",
        "0086 138 1234 5678",
        "(+86) 138-1234-5678",
        "１３８１２３４５６７８",
        "1٣٨١٢٣٤٥٦٧٨",  # other scripts' digits: stored as ASCII digits, never as typed
    ],
)
def test_mobile_numbers_typed_with_separators_or_country_code(typed: str) -> None:
    assert normalize_mobile(typed) == "13812345678"


def test_mobile_numbers() -> None:
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
