"""Business hours of a municipality: weekly hours, Japanese public holidays and the city's own closed days.

    schedule = schedule_for(municipality)
    schedule.is_open(at)          # True during staffed hours
    schedule.next_opening(at)     # the next moment staff are in (``at`` itself when open)

A municipality without a ``BusinessCalendar`` gets the usual Japanese city-hall calendar: weekdays
8:30-17:15, public holidays closed (the ``holidays`` package, country JP, which includes substitute
holidays and the "national holiday" sandwiched between two holidays), and the year-end closure
12/29-1/3. A calendar without opening-hours rows keeps those default weekday hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.utils import formats, timezone, translation

from .models import BusinessCalendar

DEFAULT_OPEN = time(8, 30)
DEFAULT_CLOSE = time(17, 15)
DEFAULT_WEEKLY: dict[int, tuple[tuple[time, time], ...]] = {d: ((DEFAULT_OPEN, DEFAULT_CLOSE),) for d in range(5)}
YEAR_END = ((12, 29), (1, 3))
SEARCH_DAYS = 400  # far enough for any real calendar; beyond that, "no opening known"


def now() -> datetime:
    """The current time; tests replace this to fix the clock."""
    return timezone.now()


@lru_cache(maxsize=32)
def _japanese_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("JP", years=year).items())


def public_holiday(day: date) -> str:
    """The holiday's name when ``day`` is a Japanese public holiday, else ""."""
    return _japanese_holidays(day.year).get(day, "")


@dataclass(frozen=True)
class ClosedRange:
    """Closed from ``start`` to ``end`` inclusive; with ``every_year`` only month and day count."""

    start: date
    end: date
    every_year: bool = False
    label: str = ""

    def covers(self, day: date) -> bool:
        if not self.every_year:
            return self.start <= day <= self.end
        key, lo, hi = (day.month, day.day), (self.start.month, self.start.day), (self.end.month, self.end.day)
        if lo <= hi:
            return lo <= key <= hi
        return key >= lo or key <= hi  # wraps the new year, e.g. 12/29-1/3


@dataclass(frozen=True)
class Schedule:
    tz: ZoneInfo
    weekly: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=lambda: dict(DEFAULT_WEEKLY))
    closed: tuple[ClosedRange, ...] = ()
    observe_public_holidays: bool = True
    always_open: bool = False

    def closed_reason(self, day: date) -> str:
        """Why the whole day is closed ("" when it has opening hours)."""
        for closed in self.closed:
            if closed.covers(day):
                return closed.label or "closed"
        if self.observe_public_holidays:
            name = public_holiday(day)
            if name:
                return name
        if not self.weekly.get(day.weekday()):
            return "weekly"
        return ""

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The opening periods of one local day, as aware datetimes."""
        if self.closed_reason(day):
            return []
        return sorted(
            (datetime.combine(day, opens, self.tz), datetime.combine(day, closes, self.tz))
            for opens, closes in self.weekly.get(day.weekday(), ())
            if opens < closes
        )

    def is_open(self, at: datetime | None = None) -> bool:
        if self.always_open:
            return True
        local = (at or now()).astimezone(self.tz)
        return any(start <= local < end for start, end in self.periods(local.date()))

    def next_opening(self, at: datetime | None = None) -> datetime | None:
        """When staff are next in: ``at`` itself while open; None when no opening is configured."""
        at = at or now()
        if self.is_open(at):
            return at
        local = at.astimezone(self.tz)
        day = local.date()
        for offset in range(SEARCH_DAYS):
            for start, _end in self.periods(day + timedelta(days=offset)):
                if start > local:
                    return start
        return None


def default_schedule(tz: str = "Asia/Tokyo") -> Schedule:
    (m1, d1), (m2, d2) = YEAR_END
    year_end = ClosedRange(date(2000, m1, d1), date(2000, m2, d2), every_year=True, label="year-end")
    return Schedule(tz=ZoneInfo(tz or "Asia/Tokyo"), closed=(year_end,))


def schedule_for(municipality) -> Schedule:
    tz = municipality.time_zone or "Asia/Tokyo"
    calendar = (
        BusinessCalendar.objects.filter(municipality=municipality)
        .prefetch_related("opening_hours", "closed_days")
        .first()
    )
    if calendar is None:
        return default_schedule(tz)
    weekly: dict[int, list[tuple[time, time]]] = {}
    for row in calendar.opening_hours.all():
        weekly.setdefault(row.weekday, []).append((row.opens, row.closes))
    closed = [ClosedRange(c.start, c.end or c.start, c.every_year, c.label) for c in calendar.closed_days.all()]
    if calendar.year_end_closure:
        closed += list(default_schedule(tz).closed)
    return Schedule(
        tz=ZoneInfo(tz),
        weekly={d: tuple(p) for d, p in weekly.items()} if weekly else dict(DEFAULT_WEEKLY),
        closed=tuple(closed),
        observe_public_holidays=calendar.observe_public_holidays,
        always_open=calendar.always_open,
    )


def format_when(moment: datetime, language: str, tz: ZoneInfo | None = None) -> str:
    """A moment as a resident reads it, e.g. "2026年7月21日 (火曜日) 08:30" or "July 21, 2026 (Tuesday) 08:30"."""
    local = moment.astimezone(tz) if tz else timezone.localtime(moment)
    fmt_lang = "ja" if language in ("ja-easy", "") else language
    with translation.override(fmt_lang):
        day = formats.date_format(local, "DATE_FORMAT")
        weekday = formats.date_format(local, "l")
        return translation.gettext("%(date)s (%(weekday)s) %(time)s") % {
            "date": day,
            "weekday": weekday,
            "time": local.strftime("%H:%M"),
        }
