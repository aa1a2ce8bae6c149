"""The gateway's clock: aware UTC for storage, Beijing time for days, and working days from chinese-calendar.

Reply deadlines count working days: weekends, public holidays and 调休 make-up days.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar

log = logging.getLogger(__name__)
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")  # no DST in China, so a fixed offset is exact
_warned: set[int] = set()


def is_working_day(day: date) -> bool:
    """chinese-calendar only knows published years; past them fall back to Monday–Friday and say so once."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning("no holiday data for %s; counting Monday-Friday as working days", day.year)
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (the day of filing does not count)."""
    d = start
    left = days
    while left > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            left -= 1
    return d


def china_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(CHINA_TZ).date()


def utcnow() -> datetime:
    return datetime.now(UTC)
