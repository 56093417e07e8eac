"""The year-end assessment of units against their targets (目标责任考核), pure: the rules file's ``assessment:``
section (the weight of each target, and what a target not met scores), and the scoring of each unit's figures
against the targets its letter set.

A target is met when the unit's figure reaches it. Met, it earns its whole weight; not met, a share of it in
proportion to how far the unit got (``partial: proportional``) or nothing (``partial: none``). A blank target is not
assessed: the unit's score is over the weights of the targets it was set, so that every unit is scored out of 100
whatever it was set. Units are ranked by score; equal scores (as shown, to a tenth) share a rank.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import field_validator, model_validator

from .kinds import unit_for
from .kinds.required_courses import COMPLETED_LATE
from .rates import completion_rate
from .sections import Strict

# The targets of a letter, in the order reports show them: the completion rate (a share), hours per cadre, the share
# of cadres who completed their required courses, the trainings the unit organised itself (a count).
TARGETS = ("completion_rate", "hours_per_cadre", "required_courses", "organised_trainings")
SHARES = ("completion_rate", "required_courses")  # given in percent, kept as a share (0.9 for 90%)
# A cadre has not completed their required courses while they carry one of these flags: a course missing, overdue or
# failed. One done after its due date is done (``completed_late`` is a flag about the date, not the course).
NOT_COMPLETED = frozenset(set(unit_for("required_courses").flags) - {COMPLETED_LATE})
SCORE_PLACES = Decimal("0.1")  # a score and its points read to a tenth
NEAR = 1e-9  # a figure equal to its target, whatever the last bit of a float


class Weights(Strict):
    """The weight of each target; a target left out weighs nothing."""

    completion_rate: float = 0.0
    hours_per_cadre: float = 0.0
    required_courses: float = 0.0
    organised_trainings: float = 0.0

    @field_validator("*")
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError(f"weight {value:g} is negative: a weight is 0 or more")
        if value > 1_000_000:
            raise ValueError(f"weight {value:g} is more than 1,000,000")
        return value

    def of(self, target: str) -> float:
        weight: float = getattr(self, target)
        return weight

    @property
    def total(self) -> float:
        return sum(self.of(t) for t in TARGETS)


DEFAULT_WEIGHTS = Weights(completion_rate=40, hours_per_cadre=30, required_courses=20, organised_trainings=10)


class Assessment(Strict):
    """The rules file's ``assessment:`` section. ``partial``: what a target not met scores: ``proportional`` (its
    weight times the figure over the target) or ``none`` (nothing)."""

    weights: Weights = DEFAULT_WEIGHTS
    partial: Literal["proportional", "none"] = "proportional"

    @model_validator(mode="after")
    def _some_weight(self) -> Assessment:
        if self.weights.total <= 0:
            raise ValueError("the weights are all zero: give at least one target a weight above 0 "
                             f"({', '.join(TARGETS)})")
        return self


@dataclass(frozen=True)
class UnitTargets:
    """A unit's targets for a period (a row of the targets file); None: not set, not assessed. Shares as shares
    (0.9 for 90%)."""

    unit_code: str
    completion_rate: float | None = None
    hours_per_cadre: float | None = None
    required_courses: float | None = None
    organised_trainings: float | None = None

    def of(self, target: str) -> float | None:
        goal: float | None = getattr(self, target)
        return goal


@dataclass(frozen=True)
class UnitFigures:
    """What a unit achieved in the period: its published completion rate and hours per cadre, the share of its
    counted cadres with no required course missing, and the trainings it organised itself. ``counted``: the cadres
    its rate is over (the exempt and the suspended apart); none counted, none of its figures is assessed."""

    code: str
    name: str
    counted: int
    completion_rate: float | None
    hours_per_cadre: float
    required_courses: float | None
    organised_trainings: int

    def of(self, target: str) -> float | None:
        actual: float | None = getattr(self, target)
        return actual


def required_share(counted: int, not_completed: int) -> float | None:
    """The share of ``counted`` cadres who completed their required courses, rounded once as a rate is (to a tenth
    of a percent: ``rates.completion_rate``); None when nobody is counted."""
    done = max(0, counted - min(not_completed, counted))
    return completion_rate({"compliant": done, "non_compliant": counted - done})


@dataclass(frozen=True)
class TargetScore:
    """One target of one unit: the target and the figure, met or not, and the points it earned of those it could
    (its weight over the weights of the unit's targets, times 100). ``goal`` None: not set, not assessed."""

    target: str
    goal: float | None
    actual: float | None
    weight: float
    met: bool | None = None
    possible: float | None = None
    points: float | None = None
    partial: bool = False  # not met, and scored in proportion to how far the unit got


STANDINGS = ("scored", "no_cadres", "no_targets")


@dataclass(frozen=True)
class UnitScore:
    """A unit's assessment: each target, the score out of 100 and the rank. ``standing``: scored; no targets (no row
    in the targets file, or every target blank or of no weight); no cadres (nobody counted in the evaluation: no
    figure to judge). Only scored units have a score and a rank."""

    code: str
    name: str
    standing: str
    targets: tuple[TargetScore, ...] = ()
    score: float | None = None
    rank: int | None = None

    def target(self, name: str) -> TargetScore | None:
        return next((t for t in self.targets if t.target == name), None)


def _tenth(value: float) -> float:
    return float(Decimal(repr(value)).quantize(SCORE_PLACES, ROUND_HALF_UP))


def score_unit(rules: Assessment, figures: UnitFigures | None, targets: UnitTargets | None,
               code: str, name: str) -> UnitScore:
    """One unit scored against its targets (``figures`` None: the unit is not in the evaluation)."""
    if targets is None:
        return UnitScore(code, name, "no_targets")
    weights = rules.weights
    goals = {t: targets.of(t) for t in TARGETS}
    assessed = [t for t in TARGETS if goals[t] is not None]
    if not assessed or sum(weights.of(t) for t in assessed) <= 0:
        return UnitScore(code, name, "no_targets", tuple(TargetScore(t, goals[t], None, weights.of(t))
                                                        for t in TARGETS if goals[t] is not None))
    if figures is None or figures.counted == 0:
        actuals = {t: figures.of(t) if figures else None for t in TARGETS}
        return UnitScore(code, name, "no_cadres", tuple(TargetScore(t, goals[t], actuals[t], weights.of(t))
                                                       for t in assessed))
    total = sum(weights.of(t) for t in assessed)
    scores, earned = [], 0.0
    for target in assessed:
        goal, actual = goals[target], figures.of(target)
        assert goal is not None and actual is not None  # counted cadres: every figure exists
        possible = weights.of(target) * 100 / total
        met = actual >= goal - NEAR
        share = 1.0 if met else (min(1.0, max(0.0, actual / goal)) if rules.partial == "proportional" else 0.0)
        earned += possible * share
        scores.append(TargetScore(target, goal, actual, weights.of(target), met, _tenth(possible),
                                  _tenth(possible * share), partial=not met and share > 0))
    return UnitScore(code, name, "scored", tuple(scores), _tenth(earned))


def ranked(scores: Iterable[UnitScore]) -> list[UnitScore]:
    """The scored units by score, highest first, with their rank (1, 2, 2, 4: equal scores share one), by name within
    a score; then the others (no cadres, then no targets), by name, unranked."""
    every = list(scores)
    scored = sorted((s for s in every if s.score is not None), key=lambda s: (-(s.score or 0.0), s.name, s.code))
    answer, rank = [], 0
    for place, unit in enumerate(scored, start=1):
        if place == 1 or unit.score != scored[place - 2].score:
            rank = place
        answer.append(replace(unit, rank=rank))
    rest = sorted((s for s in every if s.score is None), key=lambda s: (STANDINGS.index(s.standing), s.name, s.code))
    return answer + rest


def assess(rules: Assessment, figures: Mapping[str, UnitFigures], targets: Mapping[str, UnitTargets],
           names: Mapping[str, str] | None = None) -> list[UnitScore]:
    """Every unit of the evaluation (``figures``) and of the targets file, scored and ranked. ``names``: a name for
    a unit with targets that the evaluation does not hold (its code otherwise)."""
    names = names or {}
    codes = sorted(set(figures) | set(targets))
    return ranked(score_unit(rules, figures.get(code), targets.get(code), code,
                             figures[code].name if code in figures else names.get(code, code)) for code in codes)


def weight_shares(rules: Assessment) -> dict[str, float]:
    """Each target's share of 100 points when every target is set (the weights normalised to 100)."""
    total = rules.weights.total
    return {t: _tenth(rules.weights.of(t) * 100 / total) for t in TARGETS if rules.weights.of(t) > 0}


def is_whole(value: float) -> bool:
    return math.isfinite(value) and value == int(value)
