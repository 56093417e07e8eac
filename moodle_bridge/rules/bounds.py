"""The bounds every value a person or a file supplies must keep, so that nothing out of range reaches the ledger.

Dates lie in a sane window (training records of a living organisation: 1990 to 2100); amounts are finite. The rules
model, the configuration, the imports and the review page's forms all check against these, and say which bound.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated

from pydantic import AfterValidator

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)


def sane_date(value: date) -> date:
    """``value`` if it lies in [EARLIEST, LATEST]; otherwise ValueError naming the window."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"{value.isoformat()} is outside {EARLIEST.isoformat()} to {LATEST.isoformat()}")
    return value


def finite(value: float) -> float:
    """``value`` if it is a finite number; otherwise ValueError (no infinity or NaN reaches a total)."""
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return value


SaneDate = Annotated[date, AfterValidator(sane_date)]
FiniteFloat = Annotated[float, AfterValidator(finite)]
