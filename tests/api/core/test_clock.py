"""Deadlines skip weekends and holidays and count 调休 Saturdays as working days."""

from __future__ import annotations

from datetime import date

from api.core.clock import add_working_days, is_working_day


def test_weekend_skipped() -> None:
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday -> Monday


def test_national_day_holiday_skipped() -> None:
    assert not is_working_day(date(2026, 10, 1))
    assert add_working_days(date(2026, 9, 30), 1) > date(2026, 10, 7)


def test_make_up_working_day_counts() -> None:
    # 2026-09-20 (Sunday) and 2026-10-10 (Saturday) are 调休 working days around 国庆
    assert is_working_day(date(2026, 9, 20)) and is_working_day(date(2026, 10, 10))
    assert add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_spring_festival_2026() -> None:
    assert not is_working_day(date(2026, 2, 17))  # 春节 正月初一


def test_years_without_data_fall_back_to_weekdays() -> None:
    assert is_working_day(date(2031, 3, 3))  # a Monday
    assert not is_working_day(date(2031, 3, 1))  # a Saturday
    assert add_working_days(date(2031, 2, 28), 1) == date(2031, 3, 3)
