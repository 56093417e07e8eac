"""Write one staff report to a file: its data from the read model, rendered as HTML, CSV, Excel or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine


def report_json(engine: Engine, kind: str, period: str | None = None, unit: str | None = None,
                cadre_id: str | None = None) -> bytes:
    """One report's data as JSON (for standard output). Raises as `write_report` does."""
    from ..reports import export

    return export.json_bytes(_report_data(engine, kind, period, unit, cadre_id))


def _report_data(engine: Engine, kind: str, period: str | None, unit: str | None, cadre_id: str | None) -> Any:
    from .. import results
    from ..reports import render

    with engine.connect() as connection:
        content: render.Report
        if kind == "units":
            content = results.units(connection, period, unit)
        elif kind == "summary":  # the year-end summary is the county's: no unit
            content = results.year_summary(connection, period)
        elif kind == "flagged":
            content = results.flagged(connection, period, unit)
        else:
            if cadre_id is None:
                raise KeyError(cadre_id)
            content = results.cadre_file(connection, cadre_id, period)
    return content


def write_report(engine: Engine, kind: str, fmt: str, output: Path, period: str | None = None, unit: str | None = None,
                 cadre_id: str | None = None) -> Path:
    """Write one report; the path written. Raises results.NoEvaluation, or KeyError for an unknown cadre."""
    from ..reports import export, render

    content = _report_data(engine, kind, period, unit, cadre_id)
    if fmt == "html":
        output.write_text(render.html(content), encoding="utf-8")
    elif fmt == "csv":
        export.write_csv(render.tables(content), output)
    elif fmt == "xlsx":
        export.write_xlsx(render.tables(content), output)
    else:
        output.write_bytes(export.json_bytes(content))
    return output
