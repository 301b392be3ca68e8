"""Days and periods as the field counts them: Beijing time, China's statutory holidays
and make-up workdays (调休), and the month / quarter / year an activity or a rule's
period falls in.

Holidays come from the maintained ``chinese-calendar`` package, which knows the years the
State Council has announced. For a year it doesn't know yet (the next year's schedule is
announced in the autumn), it raises; here such a day falls back to the plain week
(Saturday and Sunday rest) and :func:`holidays_known` says so, so a caller can tell the
person that the holiday schedule still has to arrive with an update of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

import chinese_calendar

# China has one time zone and no daylight saving: a fixed offset needs no tz database.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def beijing_date(moment: datetime) -> date:
    """The calendar day a moment falls on in Beijing."""
    if moment.tzinfo is None:
        raise ValueError("a moment needs its time zone")
    return moment.astimezone(BEIJING).date()


def beijing_midnight(day: date) -> datetime:
    """00:00 of ``day`` in Beijing, as an aware datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def now() -> datetime:
    return datetime.now(UTC)


def holidays_known(year: int) -> bool:
    """Whether the statutory holidays of ``year`` are known (see the module's note)."""
    try:
        chinese_calendar.is_holiday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_rest_day(day: date) -> bool:
    """A statutory holiday, or a weekend day that is not a make-up workday."""
    try:
        return bool(chinese_calendar.is_holiday(day))
    except NotImplementedError:
        return day.weekday() >= 5


def is_statutory_holiday(day: date) -> bool:
    """One of the statutory holidays (New Year, Spring Festival, …), weekends aside."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return False
    return bool(on_holiday and name)


def is_makeup_workday(day: date) -> bool:
    """A weekend day worked in exchange for a longer holiday (调休上班)."""
    return day.weekday() >= 5 and not is_rest_day(day)


class Frequency(StrEnum):
    monthly = "monthly"  # 每月
    quarterly = "quarterly"  # 每季度
    yearly = "yearly"  # 每年


FREQUENCY_LABELS = {
    Frequency.monthly: "每月",
    Frequency.quarterly: "每季度",
    Frequency.yearly: "每年",
}


@dataclass(frozen=True, order=True)
class Period:
    """A month (``2026-11``), quarter (``2026-Q4``) or year (``2026``): its first and last
    day, and its key as events and reports name it."""

    start: date
    end: date  # inclusive
    key: str

    @property
    def label(self) -> str:
        """The Chinese name: 2026年11月, 2026年第4季度, 2026年."""
        if "-Q" in self.key:
            year, quarter = self.key.split("-Q")
            return f"{year}年第{quarter}季度"
        if "-" in self.key:
            year, month = self.key.split("-")
            return f"{year}年{int(month)}月"
        return f"{self.key}年"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self) -> Period:
        return period_of(self.end + timedelta(days=1), frequency_of(self))


def period_of(day: date, frequency: Frequency) -> Period:
    """The period of ``frequency`` that ``day`` falls in (months are 1-based: December
    ends the year, not the next January)."""
    if frequency is Frequency.monthly:
        start = date(day.year, day.month, 1)
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return Period(start, following - timedelta(days=1), f"{day.year}-{day.month:02d}")
    if frequency is Frequency.quarterly:
        quarter = (day.month - 1) // 3 + 1
        start = date(day.year, 3 * quarter - 2, 1)
        end_month = 3 * quarter
        following = date(day.year + (end_month == 12), end_month % 12 + 1, 1)
        return Period(start, following - timedelta(days=1), f"{day.year}-Q{quarter}")
    return Period(date(day.year, 1, 1), date(day.year, 12, 31), str(day.year))


def parse_period(key: str) -> Period:
    """The period a key names; ValueError (with a Chinese message) when it names none."""
    try:
        if "-Q" in key:
            year, quarter = key.split("-Q")
            if len(year) == 4 and quarter in ("1", "2", "3", "4"):
                return period_of(date(int(year), 3 * int(quarter), 1), Frequency.quarterly)
        elif "-" in key:
            year, month = key.split("-")
            if len(year) == 4 and len(month) == 2:
                return period_of(date(int(year), int(month), 1), Frequency.monthly)
        elif len(key) == 4 and key.isdigit():
            return period_of(date(int(key), 1, 1), Frequency.yearly)
    except ValueError:
        pass
    raise ValueError("期间应写作 2026-11（月）、2026-Q4（季度）或 2026（年）")


def frequency_of(period: Period) -> Frequency:
    if "-Q" in period.key:
        return Frequency.quarterly
    return Frequency.monthly if "-" in period.key else Frequency.yearly


def same_day_next_years(day: date, year: int) -> date:
    """The anniversary of ``day`` in ``year``; 29 February falls on 28 February in other
    years (a member who joined on a leap day is greeted every year)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return date(year, 2, 28)
