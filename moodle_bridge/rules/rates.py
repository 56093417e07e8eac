"""The unit completion rate, defined once: compliant cadres over the cadres counted (exempt and suspended are not)."""

from __future__ import annotations

from collections.abc import Mapping

STATUSES = ("compliant", "on_track", "at_risk", "non_compliant", "exempt", "suspended")


def counted_cadres(counts: Mapping[str, int]) -> int:
    """The cadres a unit's rate is over: everyone but the exempt and the suspended."""
    return sum(n for status, n in counts.items() if status in STATUSES and status not in ("exempt", "suspended"))


def completion_rate(counts: Mapping[str, int]) -> float | None:
    """compliant ÷ counted cadres, rounded to 4 places; None for a unit with nobody counted."""
    counted = counted_cadres(counts)
    return round(counts.get("compliant", 0) / counted, 4) if counted else None
