"""Flags and statuses in plain words for organisation staff (through gettext)."""

from __future__ import annotations

from ..i18n import N_, _, translated
from ..rules.evaluate import FLAG_KINDS

STATUS_LABELS = {"compliant": N_("compliant"), "on_track": N_("on track"), "at_risk": N_("at risk"),
                 "non_compliant": N_("non-compliant"), "exempt": N_("exempt"), "suspended": N_("suspended")}


def status_label(status: str) -> str:
    return translated(STATUS_LABELS.get(status, status))


def flag_label(kind: str) -> str:
    return translated(FLAG_KINDS.get(kind, kind))


def explain(kind: str, evidence: dict) -> str:
    """One sentence of evidence a staff member can read aloud."""
    e = evidence
    if kind in ("insufficient_hours", "insufficient_online_hours"):
        return _("{achieved:g} of {required:g} hours in {period}").format(
            achieved=e.get("achieved", 0), required=e.get("required", 0), period=e.get("period", ""))
    if kind == "window_shortfall":
        return _("{achieved:g} of {required:g} hours in {window} (about {expected:g} expected by now)").format(
            achieved=e.get("achieved", 0), required=e.get("required", 0), window=e.get("window", ""),
            expected=e.get("expected_by_now", 0))
    if kind in ("missing_required_course", "overdue_required_course", "required_reading_missing",
                "failed_assessment"):
        text = _("not done: {missing}; due {due}").format(missing=", ".join(e.get("missing", [])), due=e.get("due"))
        for failed in e.get("failed", []):
            text += "; " + _("{course}: grade {grade:g} below {pass_grade:g}").format(**failed)
        return text
    if kind == "makeup_due":
        return _("make-up of {required:g} hours, {achieved:g} done, due {due}").format(
            required=e.get("required", 0), achieved=e.get("achieved", 0), due=e.get("due"))
    return ", ".join(f"{k}: {v}" for k, v in e.items())
