"""The unit completion rate, defined once: compliant cadres over the cadres counted (exempt and suspended are not).

A rate is rounded once, here, to the tenth of a percent it is published at (1 of 26 is 3.8%). Rounded twice (to
0.0385, then to 3.9%) it read 3.8% in one place and 3.9% in another; every report, sheet, chart and page now shows
this number as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

STATUSES = ("compliant", "on_track", "at_risk", "non_compliant", "exempt", "suspended")
RATE_STEPS = 1000  # a rate is published in thousandths: a tenth of a percent


def counted_cadres(counts: Mapping[str, int]) -> int:
    """The cadres a unit's rate is over: everyone but the exempt and the suspended."""
    return sum(n for status, n in counts.items() if status in STATUSES and status not in ("exempt", "suspended"))


def completion_rate(counts: Mapping[str, int]) -> float | None:
    """compliant ÷ counted cadres, rounded once (half up, on whole numbers) to a tenth of a percent; None for a
    unit with nobody counted."""
    counted = counted_cadres(counts)
    if not counted:
        return None
    return (2 * RATE_STEPS * counts.get("compliant", 0) + counted) // (2 * counted) / RATE_STEPS


def rate_change(now: float | None, before: float | None) -> float | None:
    """The change between two published rates, in percentage points (3.8% to 4.2%: 0.4); None without both."""
    if now is None or before is None:
        return None
    return round((now - before) * 100, 1)
