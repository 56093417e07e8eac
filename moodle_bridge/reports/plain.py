"""Flags and statuses in plain words for organisation staff (through gettext).

The status names are here; each flag kind's name and its sentence of evidence come from the
requirement kind that raises it (``rules/kinds/``), through the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..i18n import N_, translated
from ..rules.kinds import UNITS, unit_for_flag

STATUS_LABELS = {"compliant": N_("compliant"), "on_track": N_("on track"), "at_risk": N_("at risk"),
                 "non_compliant": N_("non-compliant"), "exempt": N_("exempt"), "suspended": N_("suspended")}
FLAG_KINDS: dict[str, str] = {flag: label for unit in UNITS for flag, label in unit.flags.items()}
"""Every flag kind a requirement raises -> its label (an N_ marker: pass it through ``translated``)."""


DIFFERENCE_STATES = {"pending": N_("waiting"), "accepted": N_("accepted"), "rejected": N_("rejected")}
"""A difference found in a closed period: waiting for a decision, accepted into the ledger, or rejected."""


def status_label(status: str) -> str:
    return translated(STATUS_LABELS.get(status, status))


def flag_label(kind: str) -> str:
    return translated(FLAG_KINDS.get(kind, kind))


def difference_label(state: str) -> str:
    return translated(DIFFERENCE_STATES.get(state, state))


# Codes kept as data that staff read as words (the store and ``--json`` keep the codes).
ENTRY_KINDS = {"credit": N_("hours credited"), "reversal": N_("reversal"), "adjustment": N_("adjustment")}
"""A ledger entry: hours credited from a course or a training, a reversal of an earlier entry, or staff's own."""
REVIEW_STATES = {"open": N_("open"), "reviewed": N_("reviewed"), "excused": N_("excused")}
"""Where a flagged cadre's review stands (the read model's ``REVIEW_STATES``)."""
REVIEW_EVENTS = {"reviewed": N_("reviewed"), "note": N_("note"), "excused": N_("excused"),
                 "message_queued": N_("Moodle message queued")}
"""One line of a cadre's review history."""


def entry_kind_label(kind: str) -> str:
    return translated(ENTRY_KINDS.get(kind, kind))


def review_label(state: str) -> str:
    """A review state, or an event of the review history."""
    return translated(REVIEW_STATES.get(state) or REVIEW_EVENTS.get(state, state))


def explain(kind: str, evidence: Mapping[str, Any]) -> str:
    """One sentence of evidence a staff member can read aloud."""
    unit = unit_for_flag(kind)
    if unit is None:  # a flag kind no requirement raises (any more): its evidence as it is
        return ", ".join(f"{k}: {v}" for k, v in evidence.items())
    return unit.explain(kind, unit.evidence.from_json(evidence))


def remedy(kind: str, evidence: Mapping[str, Any]) -> str | None:
    """What would fix the flag: what is still missing, by when, and the open courses that count; None when
    nothing can be said (a flag kind no requirement raises any more)."""
    unit = unit_for_flag(kind)
    return None if unit is None else unit.remedy(kind, unit.evidence.from_json(evidence))
