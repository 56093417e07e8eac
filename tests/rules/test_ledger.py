"""The ledger: reversals and new entries, never edits; idempotent; closed periods report only."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from moodle_bridge.rules.facts import Credit
from moodle_bridge.rules.ledger import Difference, Entry, postings, standing_of


def credit(source, hours, period="2026", online=True, at=100, cadre="A"):
    return Credit(source, cadre, period, hours, online, at)


def post(ledger: list[Entry], desired, closed=frozenset()):
    entries, differences = postings(desired, standing_of(ledger), closed)
    ledger.extend(entries)
    return entries, differences


def test_new_then_changed_then_gone():
    ledger: list[Entry] = []
    first, _ = post(ledger, [credit("completion:1:7", 10)])
    assert [(e.kind, e.hours) for e in first] == [("credit", 10)]
    again, _ = post(ledger, [credit("completion:1:7", 10)])
    assert again == []  # posting the same credits twice posts nothing
    changed, _ = post(ledger, [credit("completion:1:7", 15)])  # e.g. the rules now give a bonus
    assert [(e.kind, e.hours, e.reason) for e in changed] == [("reversal", -10, "value changed"), ("credit", 15, None)]
    gone, _ = post(ledger, [])  # the completion was reset in Moodle
    assert [(e.kind, e.hours, e.reason) for e in gone] == [("reversal", -15, "source gone")]
    assert standing_of(ledger)[("A", "completion:1:7", "2026")].hours == 0
    assert len(ledger) == 4  # every step is a new entry; nothing was changed in place


def test_adjustments_are_staff_entries_the_rules_leave_alone():
    ledger = [Entry("A", "adjustment:1", "2026", 5.0, False, 100, "adjustment", "sports day")]
    entries, _ = post(ledger, [credit("completion:1:7", 10)])
    assert [e.source for e in entries] == ["completion:1:7"]


def test_a_closed_period_is_not_rewritten_but_reported():
    ledger: list[Entry] = []
    post(ledger, [credit("completion:1:7", 10, period="2025")])
    entries, differences = post(ledger, [], closed={"2025"})
    assert entries == [] and differences == [Difference("2025", "A", "completion:1:7", 10.0, 0.0, True, 100)]


sources = st.lists(st.tuples(st.integers(0, 30), st.floats(0, 80, allow_nan=False)), max_size=12,
                   unique_by=lambda t: t[0])


@given(sources, sources)
def test_posting_converges_to_the_desired_credits_whatever_came_before(before, after):
    ledger: list[Entry] = []
    post(ledger, [credit(f"completion:{s}:1", h) for s, h in before])
    post(ledger, [credit(f"completion:{s}:1", h) for s, h in after])
    standing = {k[1]: v.hours for k, v in standing_of(ledger).items() if abs(v.hours) >= 0.005}
    wanted = {f"completion:{s}:1": round(h, 4) for s, h in after if h >= 0.005}
    assert set(standing) == set(wanted)  # amounts within 0.005 h are the same amount: nothing to post
    assert all(abs(standing[k] - wanted[k]) < 0.005 for k in wanted)
    assert post(ledger, [credit(f"completion:{s}:1", h) for s, h in after]) == ([], [])


@given(sources, sources)
def test_entries_before_caps_are_additive_over_disjoint_sources(first, second):
    second = [(s + 100, h) for s, h in second]  # disjoint
    both = postings([credit(f"completion:{s}:1", h) for s, h in first + second], {})[0]
    one = postings([credit(f"completion:{s}:1", h) for s, h in first], {})[0]
    two = postings([credit(f"completion:{s}:1", h) for s, h in second], {})[0]
    assert sorted(both, key=lambda e: e.source) == sorted(one + two, key=lambda e: e.source)
    assert abs(sum(e.hours for e in both) - sum(e.hours for e in one) - sum(e.hours for e in two)) < 1e-6


def test_a_carry_over_belongs_to_its_period_and_other_periods_leave_it_alone():
    ledger: list[Entry] = []
    carried = Credit("carryover:2025", "A", "2026", 20.0, False, 100)
    ledger.extend(postings([carried], {}, period="2026")[0])
    entries, _ = postings([], standing_of(ledger), period="2027")  # evaluating 2027 wants no 2026 carry-over
    assert entries == []
    entries, _ = postings([], standing_of(ledger), period="2026")  # 2026's own evaluation may withdraw it
    assert [(e.kind, e.hours) for e in entries] == [("reversal", -20.0)]
