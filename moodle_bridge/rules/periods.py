"""Training periods in the organisation's time zone (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from .sections import Organisation


@dataclass(frozen=True)
class Period:
    label: str  # the year it starts in, e.g. "2026"
    start: int  # Unix seconds, inclusive
    end: int  # Unix seconds, exclusive

    def contains(self, moment: int) -> bool:
        return self.start <= moment < self.end

    @property
    def seconds(self) -> int:
        return self.end - self.start


def _start_of(year: int, organisation: Organisation) -> int:
    month, day = (int(p) for p in organisation.period_start.split("-"))
    return int(datetime(year, month, day, tzinfo=ZoneInfo(organisation.timezone)).timestamp())


@lru_cache(maxsize=256)
def period(label: str | int, organisation: Organisation) -> Period:
    year = int(label)
    return Period(str(year), _start_of(year, organisation), _start_of(year + 1, organisation))


def period_of(moment: int, organisation: Organisation) -> Period:
    year = datetime.fromtimestamp(moment, ZoneInfo(organisation.timezone)).year
    for candidate in (year - 1, year, year + 1):
        found = period(candidate, organisation)
        if found.contains(moment):
            return found
    raise ValueError(f"no period holds {moment}")  # unreachable: periods tile time


@lru_cache(maxsize=4096)
def day_start(day: date, organisation: Organisation) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(organisation.timezone)).timestamp())


def day_end(day: date, organisation: Organisation) -> int:
    """The first second after the day: a due date is met by anything before it."""
    return day_start(day + timedelta(days=1), organisation)


def elapsed_share(span_start: int, span_end: int, as_of_end: int) -> float:
    return min(1.0, max(0.0, (as_of_end - span_start) / (span_end - span_start)))


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable
