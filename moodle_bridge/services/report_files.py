"""Write one staff report to a file: its data from the read model, rendered as HTML, CSV, Excel or JSON."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine


def write_report(engine: Engine, kind: str, fmt: str, output: Path, period: str | None = None, unit: str | None = None,
                 cadre_id: str | None = None) -> Path:
    """Write one report; the path written. Raises reports.data.NoEvaluation or KeyError."""
    from ..reports import data as source
    from ..reports import render

    with engine.connect() as connection:
        if kind == "units":
            content = source.units(connection, period, unit)
            tables = render.units_tables(content)
        elif kind == "flagged":
            content = source.flagged(connection, period, unit)
            tables = render.flagged_tables(content)
        else:
            content = source.cadre_file(connection, cadre_id, period)
            tables = render.cadre_tables(content)
    if fmt == "html":
        output.write_text(render.html(kind, content), encoding="utf-8")
    elif fmt == "csv":
        output.write_bytes(render.csv_bytes(tables))
    elif fmt == "xlsx":
        render.xlsx(tables, output)
    else:
        output.write_bytes(render.json_bytes(content))
    return output
