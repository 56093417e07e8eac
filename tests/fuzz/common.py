"""What every fuzz target shares: the example budget, the invariant, and a few value strategies.

The budget: each test names the examples it runs in CI (50-200); ``FUZZ_EXAMPLES=N`` runs N per test instead (the
long run, BENCHMARKS.md "Fuzzing (issue 11)"). Never a wall-clock deadline: CI machines are busy.

The invariant: an input is either refused with the module's own clear error (its type, and a message) or gives a
correct result. Any other exception is a crash, and fails the test with the input hypothesis found.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from moodle_bridge.rules.bounds import EARLIEST, LATEST

T = TypeVar("T")

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0") or 0)  # 0: each test's CI budget

settings.register_profile(
    "fuzz", deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                           HealthCheck.large_base_example],
)


def fuzz(ci_examples: int) -> settings:
    """The settings of one fuzz test: ``ci_examples`` in CI, ``$FUZZ_EXAMPLES`` when set (the long run)."""
    return settings(settings.get_profile("fuzz"), max_examples=FUZZ_EXAMPLES or ci_examples)


def refused_or(call: Callable[[], T], *clear: type[BaseException]) -> tuple[T | None, BaseException | None]:
    """``call()``'s result, or the clear error it raised (one of ``clear``, with a message). Anything else raises."""
    try:
        return call(), None
    except clear as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        return None, exc


def in_window(day: date) -> bool:
    """A date the issue's bounds allow (rules/bounds.py: 1990-2100)."""
    return EARLIEST <= day <= LATEST


def finite_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and math.isfinite(value))


# --- values a careless person or a hostile file puts where a value belongs ---------------------------------------

HUGE_NUMBERS = st.sampled_from([
    "1e308", "1e309", "-1e309", "inf", "-inf", "nan", "NaN", ".inf", "-.inf", ".nan", "1" * 400, "-" + "9" * 50,
    "0x7fffffff", "1_000_000", "9" * 20, "-0", "0.0000000000000000001", "1e-400", "²", "٣", "１２",
])
ODD_DATES = st.sampled_from([
    "0001-01-01", "9999-12-31", "10000-01-01", "2026-02-29", "2024-02-29", "2026-13-01", "2026-00-10", "2026-12-32",
    "1899-12-30", "1989-12-31", "1990-01-01", "2100-12-31", "2101-01-01", "2026-1-1", "2026/06/30", "2026.06.30",
    "20260630", "2026-06-30T12:00:00", "2026-06-30 12:00", "2026-W26-1", "30/06/2026", "", " ", "0", "-1",
    "2026-06-30Z", "+2026-06-30", "２０２６-０６-３０", "2026-06-3\u0660",
])
ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "\ufeff", "\u202e", "=cmd|' /C calc'!A0", "<script>x</script>",
                     "'; DROP TABLE x;--", "𝕏", "干部编号", "\r\n", "a" * 5000, "\ud7ff", "%s%n", "{{7*7}}",
                     "../../etc/passwd"]),
)
