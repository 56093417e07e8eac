"""Import exemptions from a file (CSV or Excel: cadre id, reason, from, to, effect) into the one
exemption table. Checking the rows and their keys is the rules' (``rules/exemptions.py``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from ..rules.exemptions import ExemptionRow, fresh_rows, imported_rows
from ..rules.offline import ImportError_
from ..store import evaluation_io
from .offline import read_table

__all__ = ["ImportError_", "import_exemptions", "read_exemptions"]


def read_exemptions(path: Path) -> list[ExemptionRow]:
    """Every row of the file, checked; any bad row (or an empty file): :class:`ImportError_` lists every
    problem with its line."""
    table = read_table(path)
    rows, problems = imported_rows(table, str(path))
    if problems or not table:
        raise ImportError_(problems or [f"{path}: empty"])
    return rows


def import_exemptions(engine: Engine, rows: list[ExemptionRow]) -> tuple[int, int]:
    """Store the exemptions not known yet (source "import"): (imported now, already known)."""
    with engine.begin() as connection:
        fresh = fresh_rows(rows, evaluation_io.exemption_keys(connection))
        evaluation_io.add_exemptions(connection, fresh, "import")
    return len(fresh), len(rows) - len(fresh)
