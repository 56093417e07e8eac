"""Full and incremental syncs at county size (and, opt-in, province size) mirror the site."""

from __future__ import annotations

import pytest

from tests.sync.conftest import Harness
from tests.sync.expected import differences, expected, mirrored
from tests.sync.test_sync import scripted_changes


def _full_then_incremental(tmp_path, size: str) -> None:
    h = Harness(f"sqlite:///{tmp_path / 'mirror.db'}", "report", size=size, report_id=3)
    try:
        assert h.sync(full=True).ok
        assert differences(expected(h.site, "report", enrolment_times=True), mirrored(h.engine)) == []
        scripted_changes(h.site)
        assert h.sync().ok
        want, have = expected(h.site, "report", enrolment_times=True), mirrored(h.engine)
        assert differences(want, have, tables=[t for t in want if t != "grades"]) == []
        inactive = {k for k, r in have["enrolments"].items() if r["status"] == "inactive"}
        assert {k: v for k, v in have["grades"].items() if k not in inactive} == {
            k: v for k, v in want["grades"].items() if k not in inactive}
    finally:
        h.close()


def test_county(tmp_path):
    _full_then_incremental(tmp_path, "county")


@pytest.mark.province
def test_province(tmp_path):
    _full_then_incremental(tmp_path, "province")
