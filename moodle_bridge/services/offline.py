"""Offline training files: read a CSV (UTF-8 or GB18030) or Excel file into a table, check it
(``rules/offline.py``), store its rows; and write the empty template staff fill in."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import Connection, Engine

from ..reports import export
from ..rules.cadres import cadres_of
from ..rules.offline import ImportError_, OfflineRow, Table, offline_rows, template_header, unknown_cadres
from ..rules.sections import Cadres
from ..store.evaluation_io import load_people
from ..store.ledger_io import store_offline

__all__ = ["ImportError_", "OfflineRow", "import_offline", "mirror_cadre_ids", "parse_offline", "read_table",
           "template_header", "write_template"]


def read_table(path: Path) -> Table:
    """(line number, cells) of every row that is not blank, the header first."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook  # type: ignore[import-untyped]

        try:
            sheet = load_workbook(path, read_only=True, data_only=True).active
            return [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)
                    if any(c not in (None, "") for c in row)]
        except Exception:  # a damaged or foreign file fails deep in openpyxl (zip, zlib, XML, missing parts)
            raise ImportError_([f"{path}: not a readable Excel workbook (save it again as .xlsx, or as CSV)"]) from None
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # spreadsheet programs in China save GB18030
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportError_([f"{path}: neither UTF-8 nor GB18030 text"])
    rows = csv.reader(io.StringIO(text, newline=""))
    return [(n, list(row)) for n, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]


def parse_offline(path: Path) -> list[OfflineRow]:
    """Every row of the file, checked; any bad row: :class:`ImportError_` with every problem and its line."""
    return offline_rows(read_table(path), str(path))


def mirror_cadre_ids(connection: Connection, spec: Cadres) -> set[str]:
    """The cadre ids of the mirror's live users, as the rules' ``cadres`` section reads them."""
    return {c.cadre_id for c in cadres_of(load_people(connection), spec)[0]}


def import_offline(engine: Engine, rows: list[OfflineRow], source_name: str,
                   cadres: Cadres | None = None) -> tuple[int, int]:
    """Store checked rows (from ``parse_offline``) not stored before: (rows imported now, rows already imported).
    A row whose cadre the mirror does not hold (``cadres``: the rules' section saying where the id is):
    :class:`ImportError_` naming every such line, and nothing is imported."""
    with engine.begin() as connection:
        unknown = unknown_cadres(((r.line, r.cadre_id) for r in rows), mirror_cadre_ids(connection, cadres or Cadres()),
                                 source_name)
        if unknown:
            raise ImportError_(unknown)
        return store_offline(connection, rows, source_name)


def write_template(output: Path, language: str) -> None:
    """An empty offline-training file (CSV with a BOM, or .xlsx) with the columns the import reads."""
    title = "线下培训" if language.startswith("zh") else "Offline training"  # the template's own language
    export.write([export.Sheet(title, template_header(language))], output)
