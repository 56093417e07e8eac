"""Judging a chunk of cadres from their facts: credits, the ledger's postings, each cadre's result. No I/O: the same
function runs in the evaluation's process or in a worker of ``parallel`` (what it takes and gives is picklable)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..rules.credits import cap_online, completion_credits, offline_credits
from ..rules.evaluate import CadreResult, Situation, carry_over, evaluate_cadre
from ..rules.facts import CadreFacts, CompletionFact, CourseFacts, Credit, OfflineFact, Refused
from ..rules.ledger import Difference, Entry, credits_of, postings, standing_of
from ..rules.model import Exemption, Rules
from ..rules.periods import Period


@dataclass(frozen=True)
class Shared:
    """What every chunk is judged against alike: the rules, the courses, the moment, the periods."""

    rules: Rules
    courses: dict[int, CourseFacts]
    situation: Situation
    previous: Period
    span: Period
    closed: set[str]
    label: str


@dataclass(frozen=True)
class Facts:
    """The cadres' facts the evaluation reads once for everyone, by cadre id: offline training, exemptions in force,
    the previous period's shortfall."""

    offline: Mapping[str, list[OfflineFact]] = field(default_factory=dict)
    exempt: Mapping[str, list[Exemption]] = field(default_factory=dict)
    shortfalls: Mapping[str, float] = field(default_factory=dict)

    def part(self, group: Sequence[CadreFacts]) -> Facts:
        """Those of one chunk (what a worker is sent)."""
        ids = [c.cadre_id for c in group]
        return Facts({i: self.offline[i] for i in ids if i in self.offline},
                     {i: self.exempt[i] for i in ids if i in self.exempt},
                     {i: self.shortfalls[i] for i in ids if i in self.shortfalls})


@dataclass(frozen=True)
class Judged:
    """A chunk judged: the ledger entries to post, the differences in closed periods, the results."""

    entries: list[Entry]
    differences: list[Difference]
    results: list[CadreResult]


def judge(shared: Shared, facts: Facts, group: Sequence[CadreFacts], completions: Mapping[int, list[CompletionFact]],
          entries_so_far: list[Entry], lap: Callable[[str], None] | None = None) -> Judged:
    """Judge ``group`` from its completions (by user id) and its ledger entries so far. ``lap``: told as each phase
    ends (the evaluation's clock)."""
    rules = shared.rules
    desired: list[Credit] = []
    refused_by_cadre: dict[str, list[Refused]] = {}
    for cadre in group:
        online, refused = completion_credits(cadre.cadre_id, completions.get(cadre.user_id, []), shared.courses, rules)
        away, refused_offline = offline_credits(facts.offline.get(cadre.cadre_id, []), rules)
        earned = cap_online(online + away, rules)
        carried = carry_over(cadre, earned, rules, shared.previous, shared.span, facts.exempt.get(cadre.cadre_id, []))
        desired += earned + ([carried] if carried else [])
        refused_by_cadre[cadre.cadre_id] = refused + refused_offline
    if lap:
        lap("credits")
    entries, differences = postings(desired, standing_of(entries_so_far), shared.closed, shared.label)
    if lap:
        lap("ledger postings")
    credits_by_cadre = credits_of(entries_so_far + entries)
    results = [
        evaluate_cadre(cadre, credits_by_cadre.get(cadre.cadre_id, []),
                       {c.course_id: c for c in completions.get(cadre.user_id, [])},
                       refused_by_cadre.get(cadre.cadre_id, []), shared.situation, facts.exempt.get(cadre.cadre_id, []),
                       previous_shortfall=facts.shortfalls.get(cadre.cadre_id),
                       offline=facts.offline.get(cadre.cadre_id, []))
        for cadre in group
    ]
    if lap:
        lap("evaluate cadres")
    return Judged(entries, differences, results)
