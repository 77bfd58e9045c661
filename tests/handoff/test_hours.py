"""Business hours: weekly hours, Japanese public holidays, the city's own closed days, the next opening."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from handoff import hours
from handoff.models import BusinessCalendar, ClosedDay, OpeningHours

from .conftest import jst


@pytest.fixture
def default(municipality):
    return hours.schedule_for(municipality)  # no calendar configured: the usual city-hall calendar


def test_open_on_a_weekday_afternoon(default):
    assert default.is_open(jst(2026, 7, 15, 10, 0))  # Wednesday
    assert default.next_opening(jst(2026, 7, 15, 10, 0)) == jst(2026, 7, 15, 10, 0)


def test_closing_time_is_exclusive_and_the_next_morning_follows(default):
    assert not default.is_open(jst(2026, 7, 15, 17, 15))
    assert default.next_opening(jst(2026, 7, 15, 17, 15)) == jst(2026, 7, 16, 8, 30)
    assert default.next_opening(jst(2026, 7, 16, 6, 0)) == jst(2026, 7, 16, 8, 30)


def test_friday_evening_before_a_monday_public_holiday(default):
    # 2026-07-20 is Marine Day (海の日), a Monday: staff are next in on Tuesday morning.
    assert hours.public_holiday(date(2026, 7, 20))
    assert default.next_opening(jst(2026, 7, 17, 18, 0)) == jst(2026, 7, 21, 8, 30)


def test_silver_week_including_the_sandwiched_national_holiday(default):
    # 9/21 Respect for the Aged Day, 9/22 the "national holiday" between two holidays, 9/23 Autumnal Equinox.
    assert default.next_opening(jst(2026, 9, 18, 17, 30)) == jst(2026, 9, 24, 8, 30)


def test_year_end_closure_and_new_year(default):
    assert default.next_opening(jst(2026, 12, 28, 17, 20)) == jst(2027, 1, 4, 8, 30)
    assert not default.is_open(jst(2026, 12, 29, 10, 0))  # a Tuesday, closed by the city


def test_utc_input_is_read_in_the_city_time_zone(default):
    at = datetime(2026, 7, 17, 9, 0, tzinfo=UTC)  # 18:00 in Tokyo
    assert default.next_opening(at) == jst(2026, 7, 21, 8, 30)


def test_configured_calendar_hours_lunch_break_saturday_and_closed_days(municipality):
    calendar = BusinessCalendar.objects.create(municipality=municipality, year_end_closure=False)
    for weekday in range(5):
        OpeningHours.objects.create(calendar=calendar, weekday=weekday, opens=time(9), closes=time(12))
        OpeningHours.objects.create(calendar=calendar, weekday=weekday, opens=time(13), closes=time(17))
    OpeningHours.objects.create(calendar=calendar, weekday=5, opens=time(9), closes=time(12))
    ClosedDay.objects.create(calendar=calendar, start=date(2026, 7, 22), label="system maintenance")
    ClosedDay.objects.create(calendar=calendar, start=date(2000, 8, 13), end=date(2000, 8, 15), every_year=True)
    schedule = hours.schedule_for(municipality)

    assert not schedule.is_open(jst(2026, 7, 15, 12, 30))
    assert schedule.next_opening(jst(2026, 7, 15, 12, 30)) == jst(2026, 7, 15, 13, 0)
    assert schedule.next_opening(jst(2026, 7, 17, 17, 0)) == jst(2026, 7, 18, 9, 0)  # Saturday morning
    assert schedule.next_opening(jst(2026, 7, 21, 18, 0)) == jst(2026, 7, 23, 9, 0)  # 7/22 closed
    assert schedule.next_opening(jst(2027, 8, 12, 18, 0)) == jst(2027, 8, 16, 9, 0)  # Obon, every year
    assert schedule.is_open(jst(2026, 12, 29, 10, 0))  # year-end closure switched off


def test_public_holidays_can_be_ignored_and_always_open(municipality):
    calendar = BusinessCalendar.objects.create(municipality=municipality, observe_public_holidays=False)
    assert hours.schedule_for(municipality).is_open(jst(2026, 7, 20, 10, 0))  # Marine Day, working
    calendar.always_open = True
    calendar.save()
    assert hours.schedule_for(municipality).is_open(jst(2026, 7, 19, 3, 0))  # Sunday night


def test_a_calendar_that_never_opens_has_no_next_opening(municipality):
    calendar = BusinessCalendar.objects.create(municipality=municipality)
    OpeningHours.objects.create(calendar=calendar, weekday=0, opens=time(9), closes=time(9))  # empty period
    ClosedDay.objects.create(calendar=calendar, start=date(2000, 1, 1), end=date(2000, 12, 31), every_year=True)
    assert hours.schedule_for(municipality).next_opening(jst(2026, 7, 17, 18, 0)) is None


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", "2026年7月21日（火曜日）08:30"),
        ("ja-easy", "2026年7月21日（火曜日）08:30"),
        ("en", "July 21, 2026 (Tuesday) 08:30"),
        ("ko", "2026년 7월 21일 (화요일) 08:30"),
    ],
)
def test_the_next_opening_is_written_in_the_residents_language(language, expected):
    assert hours.format_when(jst(2026, 7, 21, 8, 30), language) == expected
