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
        active_only = {name: {k: v for k, v in rows.items() if k not in inactive} for name, rows in
                       (("want", want["grades"]), ("have", have["grades"]))}
        # differences() says what differs in a line; a bare == on 40,000 rows makes pytest diff for an hour
        assert differences({"grades": active_only["want"]}, {"grades": active_only["have"]}) == []
    finally:
        h.close()


def test_county(tmp_path):
    _full_then_incremental(tmp_path, "county")


@pytest.mark.province
def test_province(tmp_path):
    _full_then_incremental(tmp_path, "province")
