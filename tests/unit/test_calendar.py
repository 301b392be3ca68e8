"""Days and periods at every boundary: months are 1-based, quarters end where they
should, holidays and make-up workdays come from the maintained calendar, and a year it
does not know yet falls back to the plain week."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.calendar import (
    Frequency,
    beijing_date,
    holidays_known,
    is_makeup_workday,
    is_rest_day,
    is_statutory_holiday,
    parse_period,
    period_of,
    same_day_next_years,
)


@pytest.mark.parametrize(
    ("day", "frequency", "key", "start", "end"),
    [
        (date(2026, 1, 1), Frequency.monthly, "2026-01", date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 12, 31), Frequency.monthly, "2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        (date(2024, 2, 29), Frequency.monthly, "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        (date(2026, 3, 31), Frequency.quarterly, "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), Frequency.quarterly, "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 12, 31), Frequency.quarterly, "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 7, 15), Frequency.yearly, "2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_periods_at_their_boundaries(
    day: date, frequency: Frequency, key: str, start: date, end: date
) -> None:
    period = period_of(day, frequency)
    assert (period.key, period.start, period.end) == (key, start, end)
    assert parse_period(key) == period
    assert period.contains(start) and period.contains(end)


def test_the_period_after_december_is_next_january() -> None:
    assert period_of(date(2026, 12, 5), Frequency.monthly).next().key == "2027-01"
    assert period_of(date(2026, 11, 5), Frequency.quarterly).next().key == "2027-Q1"
    assert parse_period("2026-11").label == "2026年11月"
    assert parse_period("2026-Q4").label == "2026年第4季度"


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "26-11", "2026-1", "", "2026-11-01"])
def test_a_key_that_names_no_period_is_refused_in_chinese(key: str) -> None:
    with pytest.raises(ValueError, match="期间应写作"):
        parse_period(key)


def test_holidays_and_makeup_workdays_come_from_the_maintained_calendar() -> None:
    assert is_rest_day(date(2026, 10, 1)) and is_statutory_holiday(date(2026, 10, 1))
    assert is_rest_day(date(2026, 11, 28))  # an ordinary Saturday
    assert not is_statutory_holiday(date(2026, 11, 28))
    # Saturday 10 October 2026 is worked in exchange for the National Day week.
    assert is_makeup_workday(date(2026, 10, 10)) and not is_rest_day(date(2026, 10, 10))
    assert not is_rest_day(date(2026, 11, 27))  # a Friday


def test_a_year_the_calendar_does_not_know_falls_back_to_the_week() -> None:
    assert holidays_known(2026)
    assert not holidays_known(2099)
    assert is_rest_day(date(2099, 1, 3))  # a Saturday
    assert not is_rest_day(date(2099, 1, 5))
    assert not is_statutory_holiday(date(2099, 1, 1))


def test_beijing_days_and_leap_day_anniversaries() -> None:
    assert beijing_date(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert same_day_next_years(date(2000, 2, 29), 2026) == date(2026, 2, 28)
    assert same_day_next_years(date(2000, 2, 29), 2028) == date(2028, 2, 29)
    with pytest.raises(ValueError):
        beijing_date(datetime(2026, 1, 1))
