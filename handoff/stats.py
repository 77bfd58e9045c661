"""Staff-side timing figures: time to first response and handling time, per day and per department.

Time to first response: ticket opened -> first staff reply. Handling time: first claimed -> resolved.
Both are wall-clock times, so tickets opened outside business hours are counted separately too.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from .models import Ticket


@dataclass
class Row:
    key: str
    opened: int = 0
    resolved: int = 0
    out_of_hours: int = 0
    first_response: list[float] = field(default_factory=list)  # minutes
    handling: list[float] = field(default_factory=list)  # minutes
    good: int = 0
    bad: int = 0

    def add(self, ticket: Ticket) -> None:
        self.opened += 1
        self.resolved += ticket.status == Ticket.Status.RESOLVED
        self.out_of_hours += ticket.out_of_hours
        if ticket.time_to_first_response is not None:
            self.first_response.append(ticket.time_to_first_response.total_seconds() / 60)
        if ticket.handling_time is not None:
            self.handling.append(ticket.handling_time.total_seconds() / 60)
        if ticket.rating in ("good", "4", "5"):
            self.good += 1
        elif ticket.rating in ("bad", "1", "2"):
            self.bad += 1

    @staticmethod
    def _median(values: list[float]) -> float | None:
        return round(statistics.median(values), 1) if values else None

    @staticmethod
    def _mean(values: list[float]) -> float | None:
        return round(statistics.fmean(values), 1) if values else None

    @property
    def first_response_median(self):
        return self._median(self.first_response)

    @property
    def first_response_mean(self):
        return self._mean(self.first_response)

    @property
    def handling_median(self):
        return self._median(self.handling)

    @property
    def handling_mean(self):
        return self._mean(self.handling)

    @property
    def satisfaction(self) -> float | None:
        rated = self.good + self.bad
        return round(100 * self.good / rated) if rated else None


@dataclass
class Report:
    since: date
    until: date
    total: Row
    per_day: list[Row]
    per_department: list[Row]


def report(tickets, *, days: int = 30, today: date | None = None, no_department: str = "-") -> Report:
    today = today or timezone.localdate()
    since = today - timedelta(days=days - 1)
    start = timezone.make_aware(timezone.datetime.combine(since, timezone.datetime.min.time()))
    rows = tickets.filter(created_at__gte=start).order_by("created_at")
    total = Row("total")
    per_day: dict[str, Row] = {}
    per_department: dict[str, Row] = defaultdict(lambda: Row(""))
    for ticket in rows:
        day = timezone.localtime(ticket.created_at).date().isoformat()
        per_day.setdefault(day, Row(day)).add(ticket)
        dept = ticket.department or no_department
        per_department[dept].key = dept
        per_department[dept].add(ticket)
        total.add(ticket)
    return Report(
        since=since,
        until=today,
        total=total,
        per_day=[per_day[k] for k in sorted(per_day, reverse=True)],
        per_department=[per_department[k] for k in sorted(per_department)],
    )
