"""A report says when it was made in the organisation's zone, never in UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import sqlalchemy as sa

from moodle_bridge import results
from moodle_bridge.i18n import local_time, set_language
from moodle_bridge.reports import render
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import evaluation_results, evaluations


def test_a_report_is_dated_in_the_organisations_zone(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.insert(evaluations).values(id=1, period="2026", as_of=date(2026, 11, 21), rules_hash="r",
                                                exemptions_hash="e", created_at=datetime.now(UTC), counts={}))
        c.execute(sa.insert(evaluation_results).values(
            since_evaluation=1, period="2026", cadre_id="A", user_id=1, name="A", unit_code="U1", unit_name="大塘镇",
            groups=["g"], status="compliant", hours_online=50, hours_offline=50, required_hours=90))
    set_language("zh_CN")
    try:
        with engine.connect() as c:
            before = datetime.now(UTC)
            page = render.html(results.units(c))
            after = datetime.now(UTC)
    finally:
        set_language(None)
        engine.dispose()
    assert "UTC" not in page
    generated = re.search(r"生成于 (\d{4}-\d\d-\d\d \d\d:\d\d)", page)
    assert generated and generated.group(1) in {local_time(before), local_time(after)}  # Shanghai, not UTC
