"""The rules file's ``reminders:`` section (pure): when a cadre is reminded of a requirement not yet met.

Per requirement kind (or by default): so many days before its due day, on the day, so many days after; and, for
hours behind pace, at the period's milestones (each quarter, say). ``moodle-bridge remind`` sends them
(``actions/remind.py``); ``rules/reminder_plan.py`` decides which are due on a day.

```yaml
reminders:
  default: {before: [30, 7], on_day: true, after: [7]}
  kinds:                            # a kind's own schedule, in place of the default
    required_reading: {before: [14], on_day: true, after: []}
  pace: quarterly                   # hours behind pace: reminded at each quarter's end (monthly, half_yearly, never)
  catch_up_days: 3                  # a reminder whose day no run saw goes out up to so many days late
  language: zh_CN                   # the cadres' language when Moodle does not tell it (default: the configuration's)
```

The section judges no cadre: editing it judges no one again (``services/evaluation.context_fingerprint``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ..i18n import available_languages
from .kinds import BY_NAME
from .sections import Strict

MAX_DAYS = 366  # a reminder at most a year before or after its due day

Pace = Literal["never", "monthly", "quarterly", "half_yearly"]
PACE_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "half_yearly": 6}


def _days(values: list[int]) -> list[int]:
    for value in values:
        if not 1 <= value <= MAX_DAYS:
            raise ValueError(f"{value} is not a number of days from 1 to {MAX_DAYS}")
    if len(set(values)) != len(values):
        raise ValueError(f"{sorted(values)} names a day twice")
    return sorted(values, reverse=True)


class Schedule(Strict):
    """When a requirement not met is reminded of, counted from its due day."""

    before: list[int] = [30, 7]  # days before the due day
    on_day: bool = True  # on the due day itself
    after: list[int] = [7]  # days after the due day (while still not met)

    _checked = field_validator("before", "after")(_days)

    def offsets(self) -> list[int]:
        """The reminders' days relative to the due day (negative: before), earliest first."""
        return sorted([-d for d in self.before] + ([0] if self.on_day else []) + list(self.after))


class Reminders(Strict):
    """The ``reminders:`` section."""

    default: Schedule = Schedule()
    kinds: dict[str, Schedule] = {}  # a requirement kind's own schedule
    pace: Pace = "quarterly"  # hours behind pace: reminded at the period's milestones
    catch_up_days: int = Field(3, ge=0, le=31)
    language: str | None = None  # the cadres' language where Moodle does not tell it; None: the configuration's

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: dict[str, Schedule]) -> dict[str, Schedule]:
        unknown = sorted(set(kinds) - set(BY_NAME))
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not a requirement kind (one of {', '.join(BY_NAME)})")
        return kinds

    @field_validator("language")
    @classmethod
    def _known_language(cls, language: str | None) -> str | None:
        if language is not None and language not in available_languages():
            raise ValueError(f"{language!r} is not a language moodle_bridge speaks "
                             f"(one of {', '.join(available_languages())})")
        return language

    def schedule(self, kind: str) -> Schedule:
        """The schedule of a requirement kind: its own, else the default."""
        return self.kinds.get(kind, self.default)

    def reach(self) -> tuple[int, int]:
        """The most days before and after a due day any schedule reminds (catch-up days included after)."""
        schedules = [self.default, *self.kinds.values()]
        return (max((max(s.before, default=0) for s in schedules), default=0),
                max((max(s.after, default=0) for s in schedules), default=0) + self.catch_up_days)
