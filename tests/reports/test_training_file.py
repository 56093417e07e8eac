"""The training file (干部教育培训档案) of a cadre of the recorded real site: HTML, PDF (its text read back with pypdf),
a whole unit as one PDF or a zip, and the CLI's one line when PDF cannot be made."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from moodle_bridge import results
from moodle_bridge.cli import main
from moodle_bridge.i18n import set_language
from moodle_bridge.reports import pdf, training_file
from moodle_bridge.services.report_files import NotInThisFormat, write_report, write_training_files

from .recorded import OFFLINE, recorded_store, skip_without_the_recording

skip_without_the_recording()

CODES = ("completion:", "offline:", "carryover:", "adjustment:", "groups.", "requirements[", "civil_servant",
         "section_chief", "deputy_section_chief", "township_and_below")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    engine, cadre_id = recorded_store(tmp_path_factory.mktemp("recorded"))
    with engine.connect() as connection:
        file = results.cadre_file(connection, cadre_id)
    yield engine, file
    engine.dispose()


def _text(document: bytes) -> str:
    """The PDF's text, its lines joined by one space (a long name wraps in a table cell)."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(document)).pages)


def test_the_html_names_every_course_with_its_hours_grade_and_date_and_shows_no_code(recorded, tmp_path):
    engine, file = recorded
    page = write_report(engine, "training-file", "html", tmp_path / "file.html", cadre_id=file.result.cadre_id
                        ).read_text(encoding="utf-8")
    courses = [c for c in file.period_credits if c.source.kind == "course"]
    assert len(courses) >= 5
    for line in courses:  # the course's full name, its short name, hours and the day, in one row
        row = re.search(rf"<tr><td class=\"n\">\d+</td><td>{re.escape(line.source.title)}</td>(.*?)</tr>", page)
        assert row, line.source.title
        assert line.source.short_name in row.group(1) and line.day.isoformat() in row.group(1)
        assert f'<td class="n">{line.hours:g}</td>' in row.group(1)
        assert f"{line.source.grade:g}" in row.group(1)
    assert f"<td>{OFFLINE[0]}</td><td>{OFFLINE[1]}</td>" in page  # the offline training, its organiser, its days
    assert '<span class="day">2026-10-12</span>\u2013<span class="day">2026-10-14</span>' in page
    assert "Guiding Principles of the 20th National Party Congress" in page  # the required course, by name
    assert "Township/section level and below" in page  # the group's label, from the rules file
    for attribute, value in (("rank", file.rank), ("category", file.category)):  # e.g. staff: "Staff member"
        named = file.rules.labels.value(attribute, value, "en")
        assert named and f"<td>{named}</td>" in page
    assert "Prepared by:" in page and "Reviewed by:" in page
    for code in CODES:
        assert code not in page, code


def test_the_pdf_in_chinese_holds_the_departments_labels(recorded, tmp_path):
    engine, file = recorded
    set_language("zh_CN")
    try:
        written = write_report(engine, "training-file", "pdf", tmp_path / "file.pdf", cadre_id=file.result.cadre_id)
    finally:
        set_language("en")
    document = written.read_bytes()
    assert document.startswith(b"%PDF")
    text = _text(document)
    for label in ("干部教育培训档案", "基本情况", "学时", "合计", "填表人", "审核人", "日期", "乡科级及以下干部",
                  "必修课程", "预警事项"):
        assert label in text, label
    assert file.result.cadre_id in text and "Fundamentals of Marxist Philosophy" in text
    assert not any(code in text for code in CODES)


def test_a_units_files_in_one_document_each_cadre_on_a_new_page_or_a_zip(recorded, tmp_path, monkeypatch):
    engine, file = recorded
    with engine.connect() as connection:
        files = results.unit_files(connection, file.result.unit_code)
        assert [f.result.cadre_id for f in results.unit_files(connection, file.result.unit_name)] == [
            f.result.cadre_id for f in files]  # by its code or its name
        with pytest.raises(KeyError):
            results.unit_files(connection, file.result.unit_code, units=["another unit"])
    names = [f.result.name for f in files]
    assert len(files) > 3 and file.result.cadre_id in {f.result.cadre_id for f in files} and names == sorted(names)
    page = write_report(engine, "training-file", "html", tmp_path / "unit.html", unit=file.result.unit_code
                        ).read_text(encoding="utf-8")
    assert page.count('<section class="file">') == len(files) and ".file + .file { page-break-before" in page

    # PDF: each cadre starts a page (three of them: WeasyPrint takes about a second a cadre on a busy machine)
    pages = PdfReader(write_training_files(files[:3], "pdf", tmp_path / "three.pdf")).pages
    starts = [p.extract_text() for p in pages if p.extract_text().lstrip().startswith("Training file")]
    assert len(starts) == 3 and [next(n for n in names if n in text) for text in starts] == names[:3]

    made: list[str] = []
    monkeypatch.setattr(pdf, "pdf_bytes", lambda html: made.append(html) or b"%PDF-1.7 one cadre")
    archive = zipfile.ZipFile(write_report(engine, "training-file", "zip", tmp_path / "unit.zip",
                                           unit=file.result.unit_code))
    assert len(archive.namelist()) == len(made) == len(files)  # one PDF per cadre
    assert f"{file.result.cadre_id}-{file.result.name}.pdf" in archive.namelist()
    assert all(archive.read(n) == b"%PDF-1.7 one cadre" for n in archive.namelist())
    assert all(html.count('<section class="file">') == 1 for html in made)
    with pytest.raises(NotInThisFormat):
        write_report(engine, "training-file", "xlsx", tmp_path / "unit.xlsx", unit=file.result.unit_code)


def test_the_spreadsheet_tables_name_sources_and_keep_numbers(recorded, tmp_path):
    from openpyxl import load_workbook

    engine, file = recorded
    book = load_workbook(write_report(engine, "training-file", "xlsx", tmp_path / "file.xlsx",
                                      cadre_id=file.result.cadre_id))
    courses = book["Courses and training"]
    rows = list(courses.iter_rows(min_row=2, values_only=True))
    assert {r[1] for r in rows} >= {c.source.title for c in file.period_credits}
    assert all(isinstance(r[4], int | float) for r in rows)  # hours are numbers
    ledger = [r[2] for r in book["Credits ledger"].iter_rows(min_row=2, values_only=True)]
    assert ledger and not any(str(source).startswith(("completion:", "offline:")) for source in ledger)


def test_the_cli_writes_a_units_files_and_says_in_one_line_when_pdf_cannot_be_made(recorded, tmp_path, monkeypatch):
    engine, file = recorded
    monkeypatch.chdir(tmp_path)
    (tmp_path / "moodle_bridge.toml").write_text(
        f'[moodle]\nurl = "http://127.0.0.1:9"\n[store]\nurl = "{engine.url}"\n')
    runner = CliRunner()
    made = runner.invoke(main, ["report", "training-file", "--unit", file.result.unit_code])
    assert made.exit_code == 0, made.output
    assert (tmp_path / f"training-file-{file.result.unit_code}.html").read_text().count('<section class="file">') > 3
    asked = runner.invoke(main, ["report", "training-file", "--format", "pdf"])
    assert asked.exit_code != 0 and "CADRE_ID or --unit" in asked.output

    def missing(_html: str) -> bytes:
        raise pdf.PdfUnavailable("PDF cannot be made here: cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf, "pdf_bytes", missing)
    failed = runner.invoke(main, ["report", "training-file", file.result.cadre_id, "--format", "pdf"])
    assert failed.exit_code != 0 and "Traceback" not in failed.output
    assert failed.output.strip().splitlines() == ["PDF cannot be made here: cannot load library 'libpango-1.0-0'"]


def test_pdf_unavailable_when_weasyprint_cannot_load_its_libraries(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libgobject-2.0-0': libgobject-2.0-0: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    with pytest.raises(pdf.PdfUnavailable) as refused:
        pdf.pdf_bytes("<p>x</p>")
    assert "libgobject" in str(refused.value) and "\n" not in str(refused.value)


def test_the_stylesheet_is_inline_in_a_file_and_linked_for_the_review_page(recorded):
    _engine, file = recorded
    assert "@page" in training_file.html([file]) and "<link" not in training_file.html([file])
    linked = training_file.html([file], stylesheet_href="file.css")
    assert '<link rel="stylesheet" href="file.css">' in linked and "<style>" not in linked


def test_an_evaluation_keeps_the_text_of_the_rules_that_judged_it_once(recorded):
    import sqlalchemy as sa

    from moodle_bridge.services.rules_file import load_rules
    from moodle_bridge.store.schema import evaluations, rules_files

    from .recorded import RULES

    engine, file = recorded
    loaded = load_rules(RULES)
    with engine.connect() as connection:
        kept = connection.execute(sa.select(rules_files)).all()
        hashes = set(connection.execute(sa.select(evaluations.c.rules_hash)).scalars())
        judged = results.judged_rules(connection, file.evaluation.rules_hash)
    assert [(r.rules_hash, r.text) for r in kept] == [(loaded.digest, RULES.read_text(encoding="utf-8"))]
    assert hashes == {loaded.digest}  # two evaluations, one text
    assert judged == loaded.rules
