"""The audit log of the review page: every review action, login and export, written and read.

Rows are bounded whatever a visitor types: names and targets cut to their columns, each detail value cut short and
the whole detail replaced by a note when it is still too large. The page reads the log a page at a time.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

import structlog
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import OperationalError

from ..i18n import N_, _, translated
from ..reports.plain import flag_label, review_label
from ..store.database import explain
from ..store.schema import audit_log

log = structlog.get_logger("moodle_bridge.web.audit")

MAX_VALUE = 200  # characters of one detail value
MAX_DETAIL = 2000  # characters of the whole detail, as JSON
MAX_DEFERRED = 10_000  # audit lines kept in memory while the store is locked by a writer

# Lines that met a store locked by a sync or an evaluation (SQLite has one writer): written, in order and with
# their own time, with the next line that gets through; each is in the log at once, so a stop loses none.
# Kept per store (an engine), forgotten with it.
_deferred: WeakKeyDictionary[Engine, deque[dict[str, Any]]] = WeakKeyDictionary()
_deferred_lock = threading.Lock()


@dataclass(frozen=True)
class AuditEntry:
    id: int
    staff: str
    action: str
    target: str | None
    detail: dict[str, Any]
    at: datetime


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _bounded(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return _cut(value, MAX_VALUE)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, dict) and depth < 2:
        return {_cut(str(k), MAX_VALUE): _bounded(v, depth + 1) for k, v in list(value.items())[:20]}
    if isinstance(value, list | tuple) and depth < 2:
        return [_bounded(v, depth + 1) for v in value[:20]]
    return _cut(str(value), MAX_VALUE)


def bounded_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """The detail as stored: every value bounded, and the whole no larger than MAX_DETAIL characters of JSON."""
    kept: dict[str, Any] = _bounded(detail)
    if len(json.dumps(kept, ensure_ascii=False, default=str)) > MAX_DETAIL:
        return {"truncated": True}
    return kept


def record(engine: Engine, staff: str, action: str, target: str | None = None, **detail: Any) -> None:
    """One line of the audit log, in a transaction of its own, with any lines deferred before it.

    A store locked by a writer (a sync or an evaluation) defers the line instead of failing what it records (an
    export must not wait two minutes for an evaluation): it is logged at once and written with the next line."""
    line = {"staff": _cut(staff, 100), "action": _cut(action, 32),
            "target": None if target is None else _cut(target, 255), "detail": bounded_detail(detail),
            "at": datetime.now(UTC)}
    with _deferred_lock:
        waiting = _deferred.setdefault(engine, deque(maxlen=MAX_DEFERRED))
        lines = [*waiting, line]
        waiting.clear()
    try:
        with engine.begin() as connection:
            connection.execute(insert(audit_log), lines)
    except OperationalError as exc:
        problem = explain(exc)
        with _deferred_lock:
            waiting.extendleft(reversed(lines))  # back in front, in their order
        if problem is None or problem.kind != "locked":
            raise
        log.warning("audit.deferred", staff=line["staff"], action=line["action"], target=line["target"],
                    detail=line["detail"], waiting=len(waiting))


def page(engine: Engine, number: int, size: int = 100) -> tuple[list[AuditEntry], int]:
    """One page of the log, the newest entries first, and how many entries there are."""
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(audit_log)).scalar() or 0
        rows = [AuditEntry(**r._mapping) for r in connection.execute(
            select(audit_log).order_by(audit_log.c.id.desc()).limit(size).offset((max(1, number) - 1) * size))]
    return rows, total


# --- the log as an administrator reads it: words, not the codes the rows keep -------------------------------------

ACTIONS = {"login": N_("signed in"), "login_failed": N_("sign-in refused"), "logout": N_("signed out"),
           "export": N_("exported the flagged list"), "training_file": N_("opened a training file"),
           "unit_training_files": N_("opened a unit's training files"),
           "review:reviewed": N_("marked reviewed"), "review:note": N_("added a note"),
           "review:excuse": N_("approved an excuse"), "review:message": N_("queued a Moodle message"),
           "assessment_export": N_("exported the year-end assessment"),
           "promotion_check": N_("checked candidates before a promotion"),
           "cadre_login": N_("a cadre signed in"), "cadre_login_failed": N_("a cadre's sign-in refused"),
           "cadre_logout": N_("a cadre signed out"), "cadre_training_file": N_("a cadre opened their training file")}
_FORMATS = {"csv": "CSV", "xlsx": "Excel", "html": N_("web page"), "pdf": "PDF"}
_FILTERS = {"unit": N_("Unit"), "kind": N_("Flag"), "group": N_("Group"), "state": N_("Review"),
            "q": N_("Name or cadre ID"), "sort": N_("Sort by")}
_SORTS = {"name": N_("Name"), "unit": N_("Unit"), "status": N_("Status"), "hours": N_("Hours")}
_EFFECTS = {"prorate": N_("pro-rate the requirement"), "full": N_("exempt in full")}


def action_label(action: str) -> str:
    return translated(ACTIONS.get(action, action))


def cadre_of(entry: AuditEntry) -> str | None:
    """The cadre the action was on (a review, a training file opened), to link to; None for the others."""
    return entry.target if entry.action.startswith("review:") or entry.action == "training_file" else None


def target_label(entry: AuditEntry) -> str:
    """What the action was on: an export's format, or the cadre's id; nothing for a sign-in."""
    if not entry.target:
        return ""  # never gettext(""): that is the catalogue's header
    return translated(_FORMATS.get(entry.target, entry.target))


def _filter_value(name: str, value: Any) -> str:
    text = str(value)
    if name == "kind":
        return flag_label(text)
    if name == "state":
        return review_label(text)
    if name == "sort":
        return translated(_SORTS.get(text, text))
    return text


def detail_text(detail: dict[str, Any]) -> str:
    """The detail in words: an export's rows and filters, an excuse's dates and effect, a training file's format."""
    if detail.get("truncated"):
        return _("(too long to keep)")
    parts = []
    if "rows" in detail:
        parts.append(_("{n} rows").format(n=detail["rows"]))
    filters = detail.get("filters")
    if isinstance(filters, dict):
        shown = [_("{name} “{value}”").format(name=translated(_FILTERS[k]), value=_filter_value(k, v))
                 for k, v in filters.items() if k in _FILTERS]
        if filters.get("order") == "desc":
            shown.append(_("descending"))
        parts.append(_("filter: {filters}").format(filters=_(", ").join(shown)) if shown else _("no filter"))
    if "from" in detail or "to" in detail:
        parts.append(_("from {start} to {end}").format(start=detail.get("from", "-"), end=detail.get("to", "-")))
    if "effect" in detail:
        parts.append(translated(_EFFECTS.get(str(detail["effect"]), str(detail["effect"]))))
    if "format" in detail:
        parts.append(translated(_FORMATS.get(str(detail["format"]), str(detail["format"]))))
    return _("; ").join(parts)
