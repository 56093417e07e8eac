"""The decisions the command line used to make inside its commands, now pure: adjustments and their
numbers, accepting a closing difference, exemption keys and imports, cadres from users, the shortfall."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from moodle_bridge.rules.cadres import Duplicate, cadres_of
from moodle_bridge.rules.evaluate import shortfall
from moodle_bridge.rules.exemptions import (
    ExemptionRow,
    exemption_key,
    file_changes,
    fingerprint,
    fresh_rows,
    imported_rows,
    row_of,
)
from moodle_bridge.rules.ledger import Difference, Entry, accepted, adjustment, credits_of
from moodle_bridge.rules.model import Cadres, Exemption
from moodle_bridge.rules.offline import offline_rows


def test_an_adjustment_is_numbered_and_earned_at_the_start_of_its_period():
    entry = adjustment(4, "CD1", -2.5, "sports day", "2026", True, 1_767_196_800)
    assert entry == Entry("CD1", "adjustment:4", "2026", -2.5, True, 1_767_196_800, "adjustment", "sports day")


def test_accepting_a_difference_reverses_what_stands_and_credits_the_new_value():
    standing = [Entry("CD1", "completion:2:9", "2026", 10.0, True, 100, "credit"),
                Entry("CD1", "completion:2:9", "2026", -10.0, True, 100, "reversal", "value changed"),
                Entry("CD1", "completion:2:9", "2026", 12.0, True, 150, "credit")]
    difference = Difference("2026", "CD1", "completion:2:9", 12.0, 0.0, False, 0)
    assert accepted(7, difference, standing) == [
        Entry("CD1", "completion:2:9", "2026", -12.0, True, 150, "reversal", "post-closing difference 7 accepted")]
    again = Difference("2026", "CD1", "completion:2:9", 0.0, 8.0, True, 200)
    assert accepted(8, again, []) == [
        Entry("CD1", "completion:2:9", "2026", 8.0, True, 200, "credit", "post-closing difference 8 accepted")]


def test_what_the_ledger_credits_each_cadre():
    entries = [Entry("A", "offline:1", "2026", 7.5, False, 10, "credit"),
               Entry("A", "offline:1", "2026", -7.5, False, 10, "reversal"),
               Entry("A", "adjustment:1", "2026", 4.0, False, 20, "adjustment"),
               Entry("B", "completion:1:2", "2026", 2.0, True, 30, "credit")]
    credits = credits_of(entries)
    assert [(c.source, c.hours) for c in credits["A"]] == [("adjustment:1", 4.0)]
    assert [(c.source, c.hours, c.online) for c in credits["B"]] == [("completion:1:2", 2.0, True)]


def test_the_exemption_key_is_the_one_every_source_shares():
    e = Exemption.model_validate({"cadre_id": "CD1", "reason": "illness", "from": "2026-01-01", "to": "2026-03-31",
                                  "effect": "full"})
    expected = hashlib.sha256(b"CD1|illness|2026-01-01|2026-03-31|full").hexdigest()
    assert exemption_key("CD1", "illness", date(2026, 1, 1), date(2026, 3, 31), "full") == expected
    assert row_of(e).key == expected
    assert fingerprint([e]) == fingerprint([e]) != fingerprint([])


def test_the_rules_files_exemptions_change_the_table():
    kept, gone, back, new = (Exemption.model_validate({"cadre_id": c, "reason": "r", "from": "2026-01-01",
                                                       "to": "2026-02-01"}) for c in ("K", "G", "B", "N"))
    keys = {c: row_of(e).key for c, e in zip("KGBN", (kept, gone, back, new), strict=True)}
    changes = file_changes([kept, back, new], {keys["K"], keys["G"], keys["B"]},
                           {keys["K"]: False, keys["G"]: False, keys["B"]: True})
    assert ([r.cadre_id for r in changes.fresh], changes.withdraw, changes.restore) == (
        ["N"], [keys["G"]], [keys["B"]])


def test_an_exemptions_table_is_checked_row_by_row():
    table = [(1, ["Cadre ID", "Reason", "From", "To", "Effect"]),
             (2, ["CD1", "secondment", "2026-01-01", "2026-06-30", ""]),
             (3, ["CD2", "", "2026-01-01", "2026-06-30", "full"]),
             (4, ["CD3", "x", "2026-07-01", "2026-06-30", "full"]),
             (5, ["CD4", "x", "2026-01-01", "2026-06-30", "partial"])]
    rows, problems = imported_rows(table, "ex.csv")
    assert [(r.cadre_id, r.effect) for r in rows] == [("CD1", "prorate")]
    assert problems == [f"ex.csv:{n}: needs cadre id, reason, from and to (YYYY-MM-DD), effect full or prorate"
                        for n in (3, 4, 5)]
    assert imported_rows([], "empty.csv") == ([], [])


def test_only_rows_not_known_are_fresh_and_each_once():
    a = ExemptionRow("k1", "CD1", "r", date(2026, 1, 1), date(2026, 2, 1), "full")
    b = ExemptionRow("k2", "CD2", "r", date(2026, 1, 1), date(2026, 2, 1), "full")
    assert fresh_rows([a, b, b], {"k1"}) == [b]


@dataclass(frozen=True)
class User:
    user_id: int
    profile: dict
    cohorts: list = field(default_factory=list)
    firstname: str | None = "Li"
    lastname: str | None = "Wei"
    department: str | None = "Finance"
    suspended: bool = False


def test_users_become_cadres_as_the_rules_say():
    users = [User(1, {"cadre_id": "CD1", "rank": "staff", "joined": "2026-03-01", "promoted": "not a day"},
                  [("U1", "Unit one"), ("U2", "Unit two")]),
             User(2, {}), User(3, {"cadre_id": "CD1"}), User(4, {"cadre_id": "CD4"}, suspended=True),
             User(5, {"cadre_id": "CD5", "unit": "U9"}, [("U1", "Unit one")])]
    cadres, duplicates = cadres_of(users, Cadres())
    assert duplicates == [Duplicate("CD1", 3)]
    first, fourth, fifth = cadres
    assert (first.cadre_id, first.name, first.unit_code, first.unit_name, first.rank, first.cohorts) == (
        "CD1", "Li Wei", "U1", "Unit one", "staff", frozenset({"U1", "U2"}))
    assert (first.joined, first.promoted) == (date(2026, 3, 1), None)
    assert (fourth.unit_code, fourth.suspended) == ("Finance", True)  # no cohort, no unit field: the department
    assert fifth.unit_code == "U1"
    by_profile, _ = cadres_of(users[4:], Cadres.model_validate({"unit": {"source": "profile"}}))
    assert by_profile[0].unit_code == "U9"


def test_the_shortfall_is_defined_once():
    assert shortfall("non_compliant", 90.0, 40.0) == 50.0
    assert shortfall("compliant", 90.0, 95.0) == 0.0
    assert shortfall("at_risk", 90.0, 89.996) == 0.0  # below half a hundredth: nothing owed
    assert shortfall("exempt", 90.0, 0.0) == shortfall("suspended", 90.0, 0.0) == shortfall("on_track", None, 0) == 0


def test_an_offline_table_is_checked_without_a_file():
    table = [(1, ["cadre id", "training name", "start", "end", "hours"]),
             (2, ["CD1", "Seminar", "2026-03-02", "2026-03-03", "15"])]
    (row,) = offline_rows(table, "offline.csv")
    assert (row.line, row.cadre_id, row.hours, row.days, row.leave_hours) == (2, "CD1", 15.0, None, 0.0)


def test_a_profile_date_outside_the_sane_window_is_no_date_not_a_crash():
    users = [User(1, {"cadre_id": "CD1", "joined": "0001-01-01", "promoted": "9999-12-31"})]
    cadres, _ = cadres_of(users, Cadres())
    assert (cadres[0].joined, cadres[0].promoted) == (None, None)
