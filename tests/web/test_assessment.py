"""The year-end assessment page: a reviewer sees only their units (each with the rank it has among every unit), an
admin every unit; its exports hold the same rows and are audited; bad parameters are refused."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import sqlalchemy as sa
from openpyxl import load_workbook

from moodle_bridge.store.schema import audit_log
from moodle_bridge.store.unit_targets import StoredTargets, replace_targets

from .test_access import client_for

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def with_targets(engine) -> None:
    """Unit One's target is met (every cadre there is at risk: 0%, target 0%), Unit Two's hours are not (15 of 30)."""
    with engine.begin() as c:
        replace_targets(c, "2026", [StoredTargets("U1", 0.0, 10.0, None, None, NOW, "targets.csv", 2),
                                    StoredTargets("U2", 0.0, 30.0, None, None, NOW, "targets.csv", 3)])


def test_a_reviewer_sees_only_their_units_with_their_county_rank(app_engine):
    app, engine = app_engine
    with_targets(engine)
    two = client_for(app, "two").get("/assessment")
    assert two.status_code == 200
    assert "Unit Two" in two.text and "Unit One" not in two.text and "U1" not in two.text
    assert '<td class="n">2</td><td><a href="/flags?unit=U2">Unit Two</a>' in two.text  # 2nd of the county
    assert "Your units only" in two.text
    every = client_for(app, "admin").get("/assessment?period=2026")
    assert "Unit One" in every.text and "Unit Two" in every.text and "Your units only" not in every.text
    assert "Hours per cadre: target 30.0, achieved 15.0: not met; 21.4 of 42.9 points, in proportion to what was " \
           "achieved." in every.text
    assert '<a href="/assessment">' in every.text  # in the header's links


def test_the_exports_hold_the_reviewers_units_only_and_are_audited(app_engine):
    app, engine = app_engine
    with_targets(engine)
    client = client_for(app, "one")
    text = client.get("/assessment/export.csv").content.decode("utf-8-sig")
    assert "Unit One" in text and "Unit Two" not in text
    book = load_workbook(io.BytesIO(client.get("/assessment/export.xlsx?period=2026").content))
    rows = [[c.value for c in row] for row in book["Assessment"].iter_rows(min_row=3)]
    assert [r[:4] for r in rows] == [[1, "U1", "Unit One", 100]]
    document = client.get("/assessment/export.pdf")
    assert document.status_code in (200, 503)  # 503: WeasyPrint cannot run here
    with engine.connect() as c:
        logged = c.execute(sa.select(audit_log.c.staff, audit_log.c.action, audit_log.c.target).where(
            audit_log.c.action == "assessment_export")).all()
    assert [(r.staff, r.target) for r in logged][:2] == [("one", "csv"), ("one", "xlsx")]


def test_bad_parameters_are_refused_and_no_evaluation_is_said(app_engine):
    app, _engine = app_engine
    client = client_for(app, "admin")
    assert client.get("/assessment?period=20261").status_code == 400
    assert client.get("/assessment?period=abc").status_code == 400
    assert client.get("/assessment/export.docx").status_code == 404
    assert client.get("/assessment?period=2025").text.count("No evaluation yet.") == 1
    assert client.get("/assessment/export.csv?period=2025").status_code == 404
    # without targets, every unit is listed as having none
    page = client.get("/assessment").text
    assert "No targets have been imported for the 2026 period." in page and page.count("no targets") == 2
