"""Write one staff report to a file: its data from the read model, rendered as HTML, CSV, Excel, PDF or JSON; the
training files of a whole unit also as one PDF or a zip of one PDF per cadre."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

if TYPE_CHECKING:
    from ..results import CadreFile

TRAINING_FILE = ("training-file", "cadre")  # "cadre": the training file's older name


class NotInThisFormat(ValueError):
    """The report is not written in that format (a zip of anything but training files; CSV or Excel of a unit's)."""


def report_json(engine: Engine, kind: str, period: str | None = None, unit: str | None = None,
                cadre_id: str | None = None) -> bytes:
    """One report's data as JSON (for standard output). Raises as `write_report` does."""
    from ..reports import export

    data = _report_data(engine, kind, period, unit, cadre_id)
    if kind in TRAINING_FILE:
        from ..reports import training_file

        data = training_file.plain(data)
    return export.json_bytes(_without_rules(data))


def _without_rules(data: Any) -> Any:
    """The training needs as data: the ranks by their values (the rules that name them are not data)."""
    from ..results.feedback import TrainingNeeds

    return replace(data, rules=None) if isinstance(data, TrainingNeeds) else data


def _report_data(engine: Engine, kind: str, period: str | None, unit: str | None, cadre_id: str | None) -> Any:
    from .. import results
    from ..reports import render

    with engine.connect() as connection:
        content: render.Report | list[results.CadreFile]
        if kind == "units":
            content = results.units(connection, period, unit)
        elif kind == "summary":  # the year-end summary is the county's: no unit
            content = results.year_summary(connection, period)
        elif kind == "assessment":  # the year-end assessment of units against their targets
            from ..results.assessment import year_assessment

            content = year_assessment(connection, period)
            if unit:  # one unit's row (its code or its name), with the rank it has among every unit
                content = replace(content, units=[u for u in content.units if unit in (u.code, u.name)])
        elif kind == "flagged":
            content = results.flagged(connection, period, unit)
        elif kind == "course-evaluation":  # Moodle's Feedback answers: every course evaluated, by provider
            from ..results.feedback import course_evaluations

            content = course_evaluations(connection)
        elif kind == "training-needs":  # placed by unit and rank in the latest evaluation (of the period)
            from ..results.feedback import training_needs

            content = training_needs(connection, period)
        elif cadre_id is not None:
            content = results.cadre_file(connection, cadre_id, period)
        elif unit is not None:  # every training file of the unit
            content = results.unit_files(connection, unit, period)
        else:
            raise KeyError(cadre_id)
    return content


def write_report(engine: Engine, kind: str, fmt: str, output: Path, period: str | None = None, unit: str | None = None,
                 cadre_id: str | None = None) -> Path:
    """Write one report; the path written. Raises results.NoEvaluation, KeyError for an unknown cadre (or unit, for
    training files), NotInThisFormat, reports.pdf.PdfUnavailable."""
    from ..reports import export, pdf, render

    content = _report_data(engine, kind, period, unit, cadre_id)
    if isinstance(content, list) or kind in TRAINING_FILE:
        return write_training_files(content if isinstance(content, list) else [content], fmt, output)
    if fmt == "pdf":
        output.write_bytes(pdf.pdf_bytes(render.html(content)))
    elif fmt == "zip":
        raise NotInThisFormat(fmt)
    elif fmt == "html":
        output.write_text(render.html(content), encoding="utf-8")
    elif fmt == "csv":
        export.write_csv(render.tables(content), output)
    elif fmt == "xlsx":
        export.write_xlsx(render.tables(content), output)
    else:
        output.write_bytes(export.json_bytes(_without_rules(content)))
    return output


def _file_name(file: CadreFile) -> str:
    """The cadre's id and name, safe in a file name on any system."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", f"{file.result.cadre_id}-{file.result.name}").strip(" .") + ".pdf"


def write_training_files(files: list[CadreFile], fmt: str, output: Path) -> Path:
    """One or more training files: one HTML or PDF document (each cadre on a new page), a zip of one PDF per cadre,
    JSON, or (one cadre) CSV and Excel tables. Raises NotInThisFormat for CSV or Excel of several cadres, and
    reports.pdf.PdfUnavailable."""
    from ..reports import export, pdf, training_file

    if fmt == "html":
        output.write_text(training_file.html(files), encoding="utf-8")
    elif fmt == "pdf":
        output.write_bytes(pdf.pdf_bytes(training_file.html(files)))
    elif fmt == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                archive.writestr(_file_name(file), pdf.pdf_bytes(training_file.html([file])))
        output.write_bytes(buffer.getvalue())
    elif fmt == "json":
        output.write_bytes(export.json_bytes(training_file.plain(files if len(files) > 1 else files[0])))
    elif len(files) == 1:
        (export.write_xlsx if fmt == "xlsx" else export.write_csv)(training_file.sheets(files[0]), output)
    else:
        raise NotInThisFormat(fmt)
    return output
