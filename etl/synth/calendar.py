"""The simulated window as arrays: one entry per day, shared by every client of a run.

Weekends and US holidays change behaviour (more missed check-ins, more cue exposure, no
clinic screens), and each program's UTC offset changes with daylight saving time, so the
timestamps written for a day must use that day's offset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday of a month (n = -1 for the last one)."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def us_holidays(year: int) -> dict[dt.date, str]:
    """US federal holidays on their calendar dates, plus Christmas Eve and New Year's Eve.

    The eves are not federal holidays, but they are among the days with the most cue exposure
    (parties, drinking, old routines), which is what the simulation uses holidays for.
    """
    return {
        dt.date(year, 1, 1): "New Year's Day",
        _nth_weekday(year, 1, 0, 3): "Martin Luther King Jr. Day",
        _nth_weekday(year, 2, 0, 3): "Presidents' Day",
        _nth_weekday(year, 5, 0, -1): "Memorial Day",
        dt.date(year, 6, 19): "Juneteenth",
        dt.date(year, 7, 4): "Independence Day",
        _nth_weekday(year, 9, 0, 1): "Labor Day",
        _nth_weekday(year, 10, 0, 2): "Columbus Day",
        dt.date(year, 11, 11): "Veterans Day",
        _nth_weekday(year, 11, 3, 4): "Thanksgiving Day",
        dt.date(year, 12, 24): "Christmas Eve",
        dt.date(year, 12, 25): "Christmas Day",
        dt.date(year, 12, 31): "New Year's Eve",
    }


def format_offset(seconds: int) -> str:
    """A UTC offset as ISO 8601 wants it: ``-05:00``."""
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Window:
    """The ``days`` calendar days ending at ``as_of`` (inclusive), with per-day attributes."""

    start: dt.date
    as_of: dt.date
    dates: np.ndarray  # datetime64[D], shape (T,)
    weekday: np.ndarray  # Monday = 0
    is_weekend: np.ndarray
    is_holiday: np.ndarray
    week: np.ndarray  # weeks since the Monday on or before ``start``

    @property
    def days(self) -> int:
        return int(self.dates.shape[0])

    def index_of(self, day: dt.date) -> int:
        """Position of a date in the window; negative before it, ``>= days`` after it."""
        return (day - self.start).days

    def utc_offsets(self, time_zone: str) -> np.ndarray:
        """Each day's UTC offset in seconds for a zone, taken at local noon.

        Check-ins and screens are simulated between 06:00 and midnight, after any 02:00 DST
        switch, so the noon offset is the right one for every simulated time of the day.
        """
        zone = ZoneInfo(time_zone)
        out = np.empty(self.days, dtype=np.int64)
        for t in range(self.days):
            day = self.start + dt.timedelta(days=t)
            noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone)
            out[t] = int(noon.utcoffset().total_seconds())
        return out


def make_window(as_of: dt.date, days: int) -> Window:
    if days < 1:
        raise ValueError("days must be at least 1")
    start = as_of - dt.timedelta(days=days - 1)
    dates = np.arange(np.datetime64(start, "D"), np.datetime64(as_of, "D") + 1)
    weekday = ((dates.astype(np.int64) + 3) % 7).astype(np.int8)  # 1970-01-01 was a Thursday
    holidays: set[dt.date] = set()
    for year in range(start.year, as_of.year + 1):
        holidays.update(us_holidays(year))
    is_holiday = np.isin(dates, np.array(sorted(holidays), dtype="datetime64[D]"))
    first_monday = start - dt.timedelta(days=start.weekday())
    week = ((dates - np.datetime64(first_monday, "D")).astype(np.int64) // 7).astype(np.int32)
    return Window(
        start=start,
        as_of=as_of,
        dates=dates,
        weekday=weekday,
        is_weekend=weekday >= 5,
        is_holiday=is_holiday,
        week=week,
    )
