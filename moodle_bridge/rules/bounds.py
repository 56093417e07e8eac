"""The bounds every value a person or a file supplies must keep, so that nothing out of range reaches the ledger.

Dates lie in a sane window (training records of a living organisation: 1990 to 2100); amounts are finite and
within declared ranges. The rules model, the configuration, the imports and the review page's forms all check
against these, and say which bound.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated

from pydantic import AfterValidator

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)
# Hours in any one rule, row, cap or adjustment: no real figure comes near (it is 11 years of every hour of
# every day), yet a sum of a whole store's worth of them stays far from overflowing.
MAX_HOURS = 100_000.0
HOURS_PER_DAY = 24.0  # a day of training holds no more hours than a day has


def sane_date(value: date) -> date:
    """``value`` if it lies in [EARLIEST, LATEST]; otherwise ValueError naming the window."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"{value.isoformat()} is outside {EARLIEST.isoformat()} to {LATEST.isoformat()}")
    return value


def clamp_date(value: date) -> date:
    """``value`` moved into [EARLIEST, LATEST] (for dates already stored by an older version)."""
    return min(max(value, EARLIEST), LATEST)


def finite(value: float) -> float:
    """``value`` if it is a finite number; otherwise ValueError (no infinity or NaN reaches a total)."""
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return value


SaneDate = Annotated[date, AfterValidator(sane_date)]
FiniteFloat = Annotated[float, AfterValidator(finite)]
