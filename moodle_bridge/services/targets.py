"""Targets files: read a period's units' targets from CSV (UTF-8 or GB18030) or Excel, check them
(``rules/assessment_targets.py``), and keep them in place of the period's earlier ones; and write the template staff
fill in, with the units the store knows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from .. import results
from ..reports import export
from ..rules.assessment import UnitTargets
from ..rules.assessment_targets import target_rows, template_header, unknown_units
from ..rules.cadres import cadres_of
from ..rules.offline import ImportError_, Table
from ..rules.sections import Cadres
from ..store.evaluation_io import load_people
from ..store.schema import mirror_cohorts
from ..store.unit_targets import StoredTargets, replace_targets
from .offline import read_table

__all__ = ["ImportError_", "import_targets", "parse_targets", "period_label", "write_template"]

EARLIEST_YEAR, LATEST_YEAR = 1990, 2100  # the years a period may be (``rules.bounds``)


def period_label(text: str) -> str:
    """The period a targets file is for: a year (2026). ValueError saying what is expected."""
    value = text.strip()
    if not (value.isascii() and value.isdigit() and EARLIEST_YEAR <= int(value) <= LATEST_YEAR):
        raise ValueError(f"{text!r} is not a period: give its year, {EARLIEST_YEAR} to {LATEST_YEAR} (e.g. 2026)")
    return str(int(value))


def _excel_table(path: Path) -> Table:
    """The workbook's first sheet, a percent cell as its percent (Excel keeps 90% as 0.9 with a % format)."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).active
        table: Table = []
        for number, row in enumerate(sheet.iter_rows(), start=1):
            cells: list[Any] = []
            for cell in row:
                value = getattr(cell, "value", None)
                if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in str(
                        getattr(cell, "number_format", "") or ""):
                    value = f"{value * 100:g}%"
                cells.append(value)
            if any(c not in (None, "") for c in cells):
                table.append((number, cells))
        return table
    except Exception:  # a damaged or foreign file fails deep in openpyxl (zip, zlib, XML, missing parts)
        raise ImportError_([f"{path}: not a readable Excel workbook (save it again as .xlsx, or as CSV)"]) from None


def parse_targets(path: Path) -> list[tuple[int, UnitTargets]]:
    """Every row of the file, checked: (line, targets); any bad row: :class:`ImportError_` with every problem and
    its line."""
    table = _excel_table(path) if path.suffix.lower() in (".xlsx", ".xlsm") else read_table(path)
    return target_rows(table, str(path))


def known_units(connection: Connection, spec: Cadres) -> set[str]:
    """The unit codes a targets file may name: the units of the mirror's cadres, and every unit cohort (a unit whose
    cadres are all in the units below it has none of its own)."""
    codes = {c.unit_code for c in cadres_of(load_people(connection), spec)[0]}
    codes |= {r.idnumber or str(r.id) for r in connection.execute(
        select(mirror_cohorts.c.id, mirror_cohorts.c.idnumber).where(mirror_cohorts.c.gone_at.is_(None)))}
    return codes


def import_targets(engine: Engine, rows: list[tuple[int, UnitTargets]], period: str, source_name: str,
                   cadres: Cadres | None = None) -> tuple[int, int]:
    """The period's targets from now on (checked rows from ``parse_targets``): (units with targets now, rows they
    replaced). A unit the mirror does not hold: :class:`ImportError_` naming every such line, and nothing changes."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        unknown = unknown_units(((line, t.unit_code) for line, t in rows),
                                known_units(connection, cadres or Cadres()), source_name)
        if unknown:
            raise ImportError_(unknown)
        return replace_targets(connection, period, [
            StoredTargets(t.unit_code, t.completion_rate, t.hours_per_cadre, t.required_courses,
                          None if t.organised_trainings is None else int(t.organised_trainings), now, source_name,
                          line) for line, t in rows])


def template_units(engine: Engine) -> list[tuple[str, str]]:
    """(code, name) of the units of the latest evaluation, by name; none before any evaluation."""
    with engine.connect() as connection:
        latest = results.evaluation(connection)
        return [] if latest is None else results.unit_names(connection, latest.id)


def write_template(output: Path, language: str, units: list[tuple[str, str]] | None = None) -> None:
    """A targets file (CSV with a BOM, or .xlsx) with the columns the import reads, a row per unit given (its code
    and name; the targets blank)."""
    title = "目标责任" if language.startswith("zh") else "Unit targets"  # the template's own language
    header = template_header(language)
    rows = [[code, name, "", "", "", ""] for code, name in units or []]
    export.write([export.Sheet(title, header, rows)], output)
