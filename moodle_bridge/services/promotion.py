"""The promotion check: candidates from the command line and a file (CSV or Excel, read as the offline-training
import reads its files), checked against the store (``results.promotion``), written for the personnel file as CSV,
Excel, HTML or PDF (``reports.promotion``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ..results.promotion import PromotionCheck, promotion_check
from ..rules.model import Rules
from ..rules.offline import ImportError_
from ..rules.promotion import Candidate, candidates_from_table, joined
from .offline import read_table

__all__ = ["FORMATS", "ImportError_", "candidates", "check", "today", "write"]

FORMATS = ("csv", "xlsx", "html", "pdf")


def candidates(cadre_ids: Sequence[str], path: Path | None = None) -> list[Candidate]:
    """The candidates given on the command line and in a file (its header names the cadre id column, optionally a
    name column), each once. Raises :class:`ImportError_` with every problem of the file, each with its line."""
    from_file = candidates_from_table(read_table(path), str(path)) if path is not None else []
    return joined([Candidate(c.strip()) for c in cadre_ids if c.strip()], from_file)


def today(rules: Rules) -> date:
    """Today in the organisation's zone: the periods checked are those before its period (and its own)."""
    return datetime.now(ZoneInfo(rules.organisation.timezone)).date()


def check(engine: Engine, rules: Rules, given: Sequence[Candidate], on: date | None = None) -> PromotionCheck:
    """Each candidate over the periods the rules' ``promotion`` section names on ``on`` (default: today)."""
    with engine.connect() as connection:
        return promotion_check(connection, given, rules, on or today(rules))


def write(found: PromotionCheck, fmt: str, output: Path) -> Path:
    """The check as CSV, Excel, HTML or PDF. Raises reports.pdf.PdfUnavailable."""
    from ..reports import export, pdf, promotion

    if fmt == "pdf":
        output.write_bytes(pdf.pdf_bytes(promotion.html(found)))
    elif fmt == "html":
        output.write_text(promotion.html(found), encoding="utf-8")
    elif fmt == "xlsx":
        export.write_xlsx([promotion.sheet(found)], output)
    else:
        export.write_csv([promotion.sheet(found)], output)
    return output
