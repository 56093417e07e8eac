"""The course evaluation and the training needs as staff read them (issue 15, item 4): figures as numbers in Excel and
CSV, ranks and units by their names, anonymous answers said to be unplaced, fewer than 3 answers never shown, the
HTML in English and Chinese, JSON and the command."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner
from openpyxl import load_workbook

from moodle_bridge.i18n import set_language
from moodle_bridge.reports import export, feedback, render
from moodle_bridge.results.feedback import course_evaluations, training_needs
from moodle_bridge.services.report_files import report_json, write_report

from ..results.test_feedback import engine  # noqa: F401 (the fixture: a store with answers, on both databases)


def test_course_evaluation_in_excel_holds_numbers(engine, tmp_path):  # noqa: F811
    path = write_report(engine, "course-evaluation", "xlsx", tmp_path / "course-evaluation.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Providers", "Courses", "Comments"]
    courses = book["Courses"]
    assert courses["A1"].value.startswith("Course evaluation (Moodle's answers as of")
    assert [c.value for c in courses[2]] == [
        "Provider (course category)", "Course", "Short name", "Responses", "Of them anonymous", "Question",
        "Ratings", "Mean (1 to 5)", "Rated 1", "Rated 2", "Rated 3", "Rated 4", "Rated 5"]
    rows = [[c.value for c in row] for row in courses.iter_rows(min_row=3)]
    assert rows[4] == ["Party School", "Party history", "C101", 3, 0, "Quality of the teaching", 3, 4.33, 0, 0, 0,
                       2, 1]
    assert courses.cell(row=7, column=8).number_format == "0.00" and courses.cell(row=7, column=8).data_type == "n"
    alone = rows[2]  # a course one person answered: its count, and no figure
    assert alone[1:7] == ["Party discipline", "C105", 1, 0, "Quality of the teaching", "fewer than 3 answers"]
    assert not any(alone[7:])
    nobody = rows[0]  # a course nobody answered: no mean, said so
    assert nobody[1] == "Administrative law" and nobody[6:8] == [0, "-"]
    providers = [[c.value for c in row] for row in book["Providers"].iter_rows(min_row=3)]
    assert ["Party School", 3, 7, "Quality of the teaching", 6, 3.17, 1, 1, 1, 2, 1] in providers
    comments = [[c.value for c in row] for row in book["Comments"].iter_rows(min_row=3)]
    assert comments[-1][1:] == ["Party rules", "Too long"]
    assert "Only I answered" not in {row[2] for row in comments}


def test_course_evaluation_as_csv_and_html(engine, tmp_path):  # noqa: F811
    text = write_report(engine, "course-evaluation", "csv", tmp_path / "c.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["Party School", "Party history", "C101", "3", "0", "Quality of the teaching", "3", "4.33", "0", "0", "0",
            "2", "1"] in rows
    page = write_report(engine, "course-evaluation", "html", tmp_path / "c.html").read_text(encoding="utf-8")
    assert "<h1>Course evaluation</h1>" in page and "Party School" in page and "4.33" in page
    assert "Responses: 3, of them anonymous: 3" in page and "<li>Too long</li>" in page
    assert "fewer than 3 answers" in page
    assert "Answered by fewer than 3: its ratings and comments are not shown." in page
    assert "Only I answered" not in page and "1 of the courses left out (fewer than 3 answers)" in page
    assert "<svg" in page and 'aria-label="Ratings 1 to 5: 0, 0, 0, 2, 1"' in page


def test_training_needs_name_units_and_ranks_never_codes(engine, tmp_path):  # noqa: F811
    path = write_report(engine, "training-needs", "xlsx", tmp_path / "training-needs.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Topics", "By unit", "By rank", "Comments"]
    topics = [[c.value for c in row] for row in book["Topics"].iter_rows(min_row=3)]
    assert topics == [["Law", 7], ["Party history", 6], ["Digital government", 6], ["Responses", 13]]
    ranks = [[c.value for c in row][:3] for row in book["By rank"].iter_rows(min_row=3)]
    few = "fewer than 3 answers"
    assert ranks == [["Section chief", 3, few], ["Staff member", 5, 3], ["no rank", 2, few]]
    assert [c.value for c in book["By rank"][4]][3:] == [4, 1]
    units = [[c.value for c in row] for row in book["By unit"].iter_rows(min_row=3)]
    assert [c.value for c in book["By rank"][2]][:2] == ["Cadre rank", "Responses"]
    assert [u[:3] for u in units] == [["Town Four", 2, few], ["Town One", 4, 3], ["Town Three", 1, few],
                                      ["Town Two", 3, 0]]
    assert units[1][3:] == [2, 0] and units[3][3:] == [1, 3] and not any(units[0][3:] + units[2][3:])
    page = write_report(engine, "training-needs", "html", tmp_path / "t.html").read_text(encoding="utf-8")
    assert "section_chief" not in page and "Section chief" in page and "Staff member" in page
    assert "never placed in a unit or rank" in page
    assert "1 named answers are of people who are not cadres in this evaluation" in page


def test_training_needs_in_chinese(engine):  # noqa: F811
    with engine.connect() as c:
        needs = training_needs(c)
    set_language("zh_CN")
    try:
        page = render.html(needs)
    finally:
        set_language("en")
    assert 'lang="zh-CN"' in page and "正科级" in page and "一般干部" in page and "section_chief" not in page


def test_json_keeps_the_codes_without_the_rules(engine):  # noqa: F811
    data = json.loads(report_json(engine, "training-needs"))
    assert data["rules"] is None and [r["key"] for r in data["by_rank"]] == ["section_chief", "staff", ""]
    evaluated = json.loads(report_json(engine, "course-evaluation"))
    assert [c["course"] for c in evaluated["courses"]] == ["Administrative law", "Party discipline", "Party history",
                                                           "Party rules"]
    alone = evaluated["courses"][1]
    assert alone["withheld"] and alone["comments"] == [] and all(q["mean"] is None for q in alone["questions"])
    assert [r["counts"] for r in data["by_unit"] if r["withheld"]] == [{}, {}]


def test_comments_written_several_times_are_listed_once(engine):  # noqa: F811
    assert feedback.grouped(["Good", "Good", "Short"]) == ["Good (written 2 times)", "Short"]
    with engine.connect() as c:
        sheets = feedback.tables(course_evaluations(c))
    assert export.csv_bytes(sheets)  # every sheet writes


def test_the_report_command_writes_both(engine, tmp_path, monkeypatch):  # noqa: F811
    from moodle_bridge.cli import main

    config = tmp_path / "moodle_bridge.toml"
    config.write_text(f'[moodle]\nurl = "https://moodle.example"\n[store]\nurl = "{engine.url.render_as_string(False)}"'
                      "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for kind in ("course-evaluation", "training-needs"):
        result = runner.invoke(main, ["--config", str(config), "--lang", "en", "report", kind, "--format", "xlsx"])
        assert result.exit_code == 0, result.output
        assert f"Wrote {kind}.xlsx" in result.output and (tmp_path / f"{kind}.xlsx").stat().st_size > 0
