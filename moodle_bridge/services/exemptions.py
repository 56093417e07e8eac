"""Import exemptions from a file (CSV or Excel: cadre id, reason, from, to, effect) into the one
exemption table. Checking the rows and their keys is the rules' (``rules/exemptions.py``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import structlog
from sqlalchemy import Engine

from ..rules.exemptions import ExemptionRow, fresh_rows, imported_rows, in_window
from ..rules.model import Exemption
from ..rules.offline import ImportError_, unknown_cadres
from ..rules.sections import Cadres
from ..store import evaluation_io
from .offline import mirror_cadre_ids, read_table

__all__ = ["ImportError_", "import_exemptions", "read_exemptions", "stored_exemption"]

log = structlog.get_logger("moodle_bridge.exemptions")


def read_exemptions(path: Path) -> list[ExemptionRow]:
    """Every row of the file, checked; any bad row (or an empty file): :class:`ImportError_` lists every
    problem with its line."""
    table = read_table(path)
    rows, problems = imported_rows(table, str(path))
    if problems or not table:
        raise ImportError_(problems or [f"{path}: empty"])
    return rows


def import_exemptions(engine: Engine, rows: list[ExemptionRow], cadres: Cadres | None = None,
                      source: str = "the file") -> tuple[int, int]:
    """Store the exemptions not known yet (source "import"): (imported now, already known). A row whose cadre the
    mirror does not hold (``cadres``: the rules' section saying where the id is): :class:`ImportError_` naming
    every such line, and nothing is imported."""
    with engine.begin() as connection:
        unknown = unknown_cadres(((r.line, r.cadre_id) for r in rows), mirror_cadre_ids(connection, cadres or Cadres()),
                                 source)
        if unknown:
            raise ImportError_(unknown)
        fresh = fresh_rows(rows, evaluation_io.exemption_keys(connection))
        evaluation_io.add_exemptions(connection, fresh, "import")
    return len(fresh), len(rows) - len(fresh)


def stored_exemption(cadre_id: str, reason: str, start: date, end: date, effect: str) -> Exemption:
    """An exemption read from the store (the ``make`` of ``evaluation_io.load_exemptions``): dates outside the
    sane window, stored by an older version, are moved into it with a warning instead of stopping the evaluation."""
    exemption, moved = in_window(cadre_id, reason, start, end, effect)
    if moved:
        log.warning("exemption.dates_outside_window", cadre_id=cadre_id, stored_from=start.isoformat(),
                    stored_to=end.isoformat(), used_from=exemption.start.isoformat(), used_to=exemption.end.isoformat())
    return exemption
