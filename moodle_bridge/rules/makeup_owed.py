"""When a shortfall becomes make-up: the day a cadre's groups ask this period's missing hours to be made up by.

The make-up requirement after a shortfall (``kinds/makeup.py``) judges the next period: its window opens on that
period's first day and closes ``within_months`` later; the hours owed are the shortfall ``evaluate.shortfall`` found.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .kinds.makeup import MakeUp
from .model import Rules
from .periods import add_months, period


def makeup_due(rules: Rules, groups: Sequence[str], label: str) -> date | None:
    """The earliest due day of the make-up after a shortfall that the groups ask, for a shortfall in period
    `label`; None when none of the groups asks one."""
    months = [r.within_months for name in groups if name in rules.groups for r in rules.groups[name].requirements
              if isinstance(r, MakeUp) and r.after == "shortfall"]
    if not months:
        return None
    following = period(int(label) + 1, rules.organisation)
    opens = datetime.fromtimestamp(following.start, ZoneInfo(rules.organisation.timezone)).date()
    return add_months(opens, min(months))
