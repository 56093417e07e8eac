"""The training file from the review page: HTML and PDF, scoped to the reviewer's units, each one audited."""

from __future__ import annotations

import sqlalchemy as sa

from moodle_bridge.reports import pdf
from moodle_bridge.store.schema import audit_log
from moodle_bridge.web.handlers import PDF_RENDERS_AT_ONCE

from .test_access import client_for


def test_a_reviewer_prints_the_training_file_of_a_cadre_of_their_unit(app_engine):
    app, engine = app_engine
    client = client_for(app, "one")
    page = client.get("/cadres/A1").text
    assert 'href="/cadres/A1/file.html"' in page and 'href="/cadres/A1/file.pdf"' in page
    assert "groups." not in page and "requirements[" not in page
    html = client.get("/cadres/A1/file.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Training file" in html.text and "Alice &lt;b&gt;Wang&lt;/b&gt;" in html.text
    assert '<link rel="stylesheet" href="file.css">' in html.text and "<style>" not in html.text  # the page's CSP
    css = client.get("/cadres/A1/file.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and "@page" in css.text
    document = client.get("/cadres/A1/file.pdf")
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    assert 'filename="training-file-A1.pdf"' in document.headers["content-disposition"]
    assert client.get("/cadres/A1/file.docx").status_code == 404
    with engine.connect() as c:
        printed = [(r.action, r.target, r.detail) for r in c.execute(
            sa.select(audit_log).where(audit_log.c.action == "training_file").order_by(audit_log.c.id))]
    assert printed == [("training_file", "A1", {"format": "html"}), ("training_file", "A1", {"format": "pdf"})]


def test_another_units_reviewer_gets_not_found(app_engine):
    app, engine = app_engine
    client = client_for(app, "two")
    assert [client.get(f"/cadres/A1/file.{fmt}").status_code for fmt in ("html", "pdf")] == [404, 404]
    assert client.get("/cadres/B1/file.html").status_code == 200
    with engine.connect() as c:
        targets = [r.target for r in c.execute(sa.select(audit_log).where(audit_log.c.action == "training_file"))]
    assert targets == ["B1"]


def _printed(engine) -> list[dict]:
    with engine.connect() as c:
        return [r.detail for r in c.execute(sa.select(audit_log).where(audit_log.c.action == "training_file"))]


def test_while_as_many_pdfs_as_allowed_are_being_drawn_another_is_refused_at_once_and_not_audited(
        app_engine, monkeypatch):
    app, engine = app_engine
    monkeypatch.setattr(pdf, "pdf_bytes", lambda html: b"%PDF-drawn")  # the real drawing is tested above
    client = client_for(app, "one")
    renders = app.state.review.pdf_renders
    for _ in range(PDF_RENDERS_AT_ONCE):  # as if that many reviewers' PDFs were being drawn
        assert renders.acquire(blocking=False)
    busy = client.get("/cadres/A1/file.pdf")
    assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
    assert busy.headers["content-type"].startswith("text/html") and "Busy: please try again shortly" in busy.text
    assert "Other training files are being made just now" in busy.text
    assert client.get("/cadres/A1/file.html").status_code == 200  # the HTML is not held back
    assert _printed(engine) == [{"format": "html"}]
    for _ in range(PDF_RENDERS_AT_ONCE):
        renders.release()
    drawn = client.get("/cadres/A1/file.pdf")
    assert drawn.status_code == 200 and drawn.content == b"%PDF-drawn"
    assert _printed(engine) == [{"format": "html"}, {"format": "pdf"}]


def test_a_pdf_that_cannot_be_drawn_is_a_503_not_in_the_audit_log_and_frees_its_place(app_engine, monkeypatch):
    app, engine = app_engine
    client = client_for(app, "one")

    def unavailable(html: str) -> bytes:
        raise pdf.PdfUnavailable("PDF cannot be made here: no Pango")

    monkeypatch.setattr(pdf, "pdf_bytes", unavailable)
    for _ in range(PDF_RENDERS_AT_ONCE + 1):  # more failures than places: each one gave its place back
        failed = client.get("/cadres/A1/file.pdf")
        assert failed.status_code == 503 and "no Pango" in failed.text and "retry-after" not in failed.headers
    assert _printed(engine) == []
    monkeypatch.setattr(pdf, "pdf_bytes", lambda html: b"%PDF-drawn")
    assert client.get("/cadres/A1/file.pdf").status_code == 200
    assert _printed(engine) == [{"format": "pdf"}]


def test_a_reviewer_prints_every_training_file_of_their_unit_and_no_other_units(app_engine):
    import io

    from pypdf import PdfReader

    app, engine = app_engine
    client = client_for(app, "one")
    assert 'href="/units/U1/files.pdf"' in client.get("/flags", params={"unit": "U1"}).text
    html = client.get("/units/U1/files.html")
    assert html.status_code == 200 and "Alice &lt;b&gt;Wang&lt;/b&gt;" in html.text and "&lt;script&gt;" in html.text
    assert '<link rel="stylesheet" href="files.css">' in html.text
    assert client.get("/units/U1/files.css").headers["content-type"].startswith("text/css")
    document = client.get("/units/U1/files.pdf")
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(document.content)).pages)
    assert "A1" in text and "A2" in text and "B1" not in text  # the unit's two cadres, nobody else's
    assert [client.get(f"/units/U2/files.{fmt}").status_code for fmt in ("html", "pdf")] == [404, 404]
    assert client.get("/units/U1/files.docx").status_code == 404
    with engine.connect() as c:
        printed = [(r.target, r.detail) for r in c.execute(
            sa.select(audit_log).where(audit_log.c.action == "unit_training_files").order_by(audit_log.c.id))]
    assert printed == [("U1", {"format": "html", "cadres": 2}), ("U1", {"format": "pdf", "cadres": 2})]
