"""The year-end assessment as staff read it: the ranked table (figures as numbers in Excel, with their formats), each
target explained in plain words, how the scores are made, the units not scored, the HTML and the PDF."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from moodle_bridge.reports import assessment, export, pdf, render
from moodle_bridge.results import Evaluation
from moodle_bridge.results.assessment import YearAssessment
from moodle_bridge.rules.assessment import Assessment, UnitFigures, UnitTargets, Weights, assess

EVALUATION = Evaluation(id=7, period="2026", as_of=date(2026, 11, 21), rules_hash="r", exemptions_hash="e",
                        created_at=datetime(2026, 11, 21, tzinfo=UTC), counts={})
FIGURES = {"U1": UnitFigures("U1", "Datang Town Government", 20, 0.8, 45.5, 0.9, 2),
           "U2": UnitFigures("U2", "Xinxing <b>Town</b>", 10, 0.5, 30.0, 0.95, 0),
           "U3": UnitFigures("U3", "Hekou Town Government", 12, 0.6, 20.0, 1.0, 1)}
TARGETS = {"U1": UnitTargets("U1", 0.75, 40.0, 0.9, 2.0), "U2": UnitTargets("U2", 0.8, 40.0, None, 1.0)}


DEFAULT = Assessment()


def year(rules: Assessment = DEFAULT) -> YearAssessment:
    return YearAssessment(evaluation=EVALUATION, weights={t: rules.weights.of(t) for t in (
        "completion_rate", "hours_per_cadre", "required_courses", "organised_trainings")}, partial=rules.partial,
        first_day=date(2026, 1, 1), last_day=date(2026, 12, 31), units=assess(rules, FIGURES, TARGETS),
        targets_file="targets.xlsx", targets_imported_at=datetime(2026, 1, 15, 2, 0, tzinfo=UTC))


def test_the_ranked_table_in_excel_holds_numbers_with_their_formats():
    book = load_workbook(io.BytesIO(export.xlsx_bytes(assessment.tables(year()))))
    sheet = book["Assessment"]
    assert sheet["A1"].value == "Year-end target assessment of units (2026 period, as of 2026-11-21)"
    headers = [c.value for c in sheet[2]]
    assert headers[:8] == ["Rank", "Unit code", "Unit", "Score (of 100)", "Completion rate: Target value",
                           "Completion rate: Achieved", "Completion rate: Met", "Completion rate: Points"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    first = rows[0]
    assert first[:8] == [1, "U1", "Datang Town Government", 100, 0.75, 0.8, "met", 40]
    assert [sheet.cell(row=3, column=n).number_format for n in (4, 5, 6, 8, 10)] == [
        "0.0", "0.0%", "0.0%", "0.0", "0.0"]
    # Xinxing: its targets weigh 40 + 30 + 10 = 80, scaled to 100: rate 50% of 80% earns 50 x 0.625 = 31.25; hours
    # 30 of 40, 37.5 x 0.75 = 28.125; trainings 0 of 1, nothing of 12.5: 59.375 in all
    second = rows[1]
    assert second[:4] == [2, "U2", "Xinxing <b>Town</b>", 59.4]
    assert second[12:16] == ["not set", None, None, None]
    assert rows[2][:4] == [None, "U3", "Hekou Town Government", "no targets"]
    explained = [[c.value for c in row] for row in book["Explained"].iter_rows(min_row=3)]
    assert ["U2", "Xinxing <b>Town</b>", "Completion rate: target 80.0%, achieved 50.0%: not met; 31.3 of 50.0 "
            "points, in proportion to what was achieved."] in explained
    assert ["U2", "Xinxing <b>Town</b>", "Required courses completed: no target set; not assessed."] in explained
    assert ["U3", "Hekou Town Government", "No targets were set for this unit (or none that carries a weight): it is "
            "not scored."] in explained


def test_the_csv_reads_figures_as_staff_see_them():
    text = export.csv_bytes(assessment.tables(year())).decode("utf-8-sig")
    assert "1,U1,Datang Town Government,100.0,75.0%,80.0%,met,40.0,40.0,45.5,met,30.0,90.0%,90.0%,met,20.0,2,2,met," \
           "10.0" in text


def test_how_the_scores_are_made_is_said():
    lines = assessment.method_lines(year(Assessment(weights=Weights(completion_rate=3, hours_per_cadre=1),
                                                    partial="none")))
    assert lines[0].startswith("Weights: Completion rate 3, Hours per cadre 1. A unit's score is out of 100")
    assert lines[1] == "A target not met earns no points."
    assert "Targets from targets.xlsx, imported 2026-01-15 10:00." in lines
    assert lines[-1] == "The period ends on 2026-12-31: these figures are as of 2026-11-21 and may still change."


def test_the_html_names_units_escapes_them_and_explains_each():
    page = render.html(year())
    assert "Year-end target assessment of units" in page and "Datang Town Government" in page
    assert "Xinxing <b>Town</b>" not in page and "Xinxing &lt;b&gt;Town&lt;/b&gt;" in page
    assert "Hours per cadre: target 40.0, achieved 45.5: met, 30.0 of 30.0 points." in page
    assert 'class="not-met"' in page and "no targets" in page


def test_the_pdf():
    try:
        document = pdf.pdf_bytes(render.html(year()))
    except pdf.PdfUnavailable as exc:
        pytest.skip(str(exc))
    assert document.startswith(b"%PDF")
