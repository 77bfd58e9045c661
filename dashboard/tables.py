"""A table of figures: what a chart draws and what its CSV export writes, from one object.

t = Table("daily", "Per day", [Column("date", "Date"), Column("n", "Messages")], rows,
          ChartSpec("line", ("n",)))
t.chart_data()   # labels from the first column, one dataset per plotted column
t.csv_rows()     # header of column labels, then the same rows
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class ChartSpec:
    """How a table is drawn: ``series`` are the plotted columns (the first column gives the labels)."""

    type: str  # bar | line | doughnut
    series: tuple[str, ...]
    stacked: bool = False
    horizontal: bool = False


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    chart: ChartSpec | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)  # for the page only (links, flags); never exported

    def column(self, key: str) -> list:
        i = [c.key for c in self.columns].index(key)
        return [row[i] for row in self.rows]

    @property
    def total(self) -> float:
        if not self.chart:
            return len(self.rows)
        return sum(v or 0 for key in self.chart.series for v in self.column(key))

    @property
    def is_empty(self) -> bool:
        return not self.rows or (self.chart is not None and not self.total)

    def chart_data(self) -> dict:
        """What Chart.js draws: labels from the first column, one dataset per plotted column."""
        assert self.chart is not None
        labels = {c.key: str(c.label) for c in self.columns}
        return {
            "key": self.key,
            "title": str(self.title),
            "type": self.chart.type,
            "stacked": self.chart.stacked,
            "horizontal": self.chart.horizontal,
            "labels": [str(v) for v in self.column(self.columns[0].key)],
            "datasets": [{"column": k, "label": labels[k], "data": self.column(k)} for k in self.chart.series],
        }

    @property
    def cells(self) -> list[list[dict]]:
        """Rows for an HTML table: numbers right-aligned, missing values as a dash."""
        return [
            [{"value": "–" if v is None else v, "num": isinstance(v, (int, float))} for v in row] for row in self.rows
        ]

    def csv_rows(self) -> list[list]:
        return [[str(c.label) for c in self.columns], *[[_csv_value(v) for v in row] for row in self.rows]]


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value) if not isinstance(value, (int, float)) else value


def pct(part: float, whole: float) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide by."""
    return round(100.0 * part / whole, 1) if whole else None
