"""The fuzz harness (issue 11): one module per input kind; the budget and invariant live in ``common.py``."""

from __future__ import annotations

from .common import FUZZ_EXAMPLES


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    if FUZZ_EXAMPLES:
        return f"fuzz: FUZZ_EXAMPLES={FUZZ_EXAMPLES} examples per fuzz test (the long run)"
    return None
