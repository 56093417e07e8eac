"""The year-end assessment, pure: the rules file's `assessment:` section (and how `rules check` words its mistakes),
and the scoring of units against their targets, worked out by hand: met, in proportion, all or nothing, a zero
target, a blank target, no cadres, no targets, weights that do not sum to 100, ties."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodle_bridge.rules.assessment import (
    NOT_COMPLETED,
    Assessment,
    UnitFigures,
    UnitTargets,
    Weights,
    assess,
    required_share,
    score_unit,
)
from moodle_bridge.rules.loader import RulesError, parse_rules

SMALL = (Path(__file__).parent / "small_rules.yaml").read_text(encoding="utf-8")
DEFAULT = Assessment()


def figures(code: str = "U1", name: str = "Alpha", counted: int = 10, rate: float | None = 0.8, hours: float = 45.0,
            required: float | None = 0.9, organised: int = 2) -> UnitFigures:
    return UnitFigures(code, name, counted, rate, hours, required, organised)


def problems(section: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(SMALL + section, "rules.yaml")
    return caught.value.problems


# --- the rules file's section -----------------------------------------------------------------------


def test_without_the_section_the_default_weights_sum_to_100():
    rules = parse_rules(SMALL).rules
    assert rules.assessment == DEFAULT and rules.assessment.partial == "proportional"
    assert rules.assessment.weights.total == 100
    assert [rules.assessment.weights.of(t) for t in ("completion_rate", "hours_per_cadre", "required_courses",
                                                      "organised_trainings")] == [40, 30, 20, 10]


def test_weights_given_leave_the_others_at_nothing():
    rules = parse_rules(SMALL + "assessment:\n  weights: {completion_rate: 3, hours_per_cadre: 1}\n  partial: none\n")
    assert rules.rules.assessment.weights == Weights(completion_rate=3, hours_per_cadre=1)
    assert rules.rules.assessment.partial == "none"


@pytest.mark.parametrize(("section", "expected"), [
    ("assessment:\n  weights: {completion_rate: -5, hours_per_cadre: 30}\n",
     "rules.yaml:30 assessment.weights.completion_rate: weight -5 is negative: a weight is 0 or more"),
    ("assessment:\n  weights: {completion_rate: 0}\n",
     "rules.yaml:29 assessment: the weights are all zero: give at least one target a weight above 0 "
     "(completion_rate, hours_per_cadre, required_courses, organised_trainings)"),
    ("assessment:\n  weights:\n    completion_rate: 40\n    hours: 60\n",
     "rules.yaml:32 assessment.weights.hours: unknown key (a typo?)"),
    ("assessment:\n  weights: {completion_rate: .inf}\n",
     "rules.yaml:30 assessment.weights.completion_rate: inf is not a finite number"),
    ("assessment:\n  partial: half\n",
     "rules.yaml:30 assessment.partial: Input should be 'proportional' or 'none' (got 'half')"),
])
def test_rules_check_words_a_bad_section_in_one_line_with_where(section, expected):
    assert SMALL.count("\n") == 28  # the section starts on line 29
    assert problems(section) == [expected]


# --- scoring ------------------------------------------------------------------------------------------------


def test_every_target_met_scores_100():
    unit = score_unit(DEFAULT, figures(), UnitTargets("U1", 0.8, 40.0, 0.9, 2.0), "U1", "Alpha")
    assert (unit.standing, unit.score) == ("scored", 100.0)
    assert [(t.target, t.met, t.possible, t.points) for t in unit.targets] == [
        ("completion_rate", True, 40.0, 40.0), ("hours_per_cadre", True, 30.0, 30.0),
        ("required_courses", True, 20.0, 20.0), ("organised_trainings", True, 10.0, 10.0)]


def test_a_target_not_met_scores_in_proportion_or_nothing():
    targets = UnitTargets("U1", 0.9, 60.0, 0.9, 4.0)  # rate 0.8 of 0.9; 45 of 60 hours; 2 of 4 trainings
    proportional = score_unit(DEFAULT, figures(), targets, "U1", "Alpha")
    # 40 x 0.8/0.9 = 35.56; 30 x 45/60 = 22.5; 20 (met); 10 x 2/4 = 5: 83.06 in all
    assert [(t.met, t.points, t.partial) for t in proportional.targets] == [
        (False, 35.6, True), (False, 22.5, True), (True, 20.0, False), (False, 5.0, True)]
    assert proportional.score == 83.1
    none = score_unit(Assessment(partial="none"), figures(), targets, "U1", "Alpha")
    assert [t.points for t in none.targets] == [0.0, 0.0, 20.0, 0.0] and none.score == 20.0


def test_a_blank_target_is_not_assessed_and_the_others_scale_to_100():
    unit = score_unit(DEFAULT, figures(), UnitTargets("U1", completion_rate=0.8, organised_trainings=4.0),
                      "U1", "Alpha")
    # Weights 40 and 10 of 50: 80 and 20 points possible; trainings 2 of 4: 10 of 20
    assert [(t.target, t.possible, t.points) for t in unit.targets] == [
        ("completion_rate", 80.0, 80.0), ("organised_trainings", 20.0, 10.0)]
    assert unit.score == 90.0


def test_weights_not_summing_to_100_are_normalised():
    rules = Assessment(weights=Weights(completion_rate=3, hours_per_cadre=1))
    unit = score_unit(rules, figures(), UnitTargets("U1", 0.8, 90.0, 0.95), "U1", "Alpha")
    # rate met: 75 of 75; hours 45 of 90: 12.5 of 25; required courses weigh nothing: assessed, no points
    assert [(t.target, t.met, t.possible, t.points) for t in unit.targets] == [
        ("completion_rate", True, 75.0, 75.0), ("hours_per_cadre", False, 25.0, 12.5),
        ("required_courses", False, 0.0, 0.0)]
    assert unit.score == 87.5


def test_a_zero_target_is_met_even_by_nothing():
    unit = score_unit(DEFAULT, figures(rate=0.0, organised=0), UnitTargets("U1", 0.0, organised_trainings=0.0),
                      "U1", "Alpha")
    assert [(t.met, t.points) for t in unit.targets] == [(True, 80.0), (True, 20.0)] and unit.score == 100.0


def test_a_figure_equal_to_its_target_meets_it():
    unit = score_unit(DEFAULT, figures(rate=0.038), UnitTargets("U1", 3.8 / 100), "U1", "Alpha")
    assert unit.targets[0].met and unit.score == 100.0


def test_a_unit_without_cadres_counted_or_without_targets_is_listed_not_scored():
    nobody = score_unit(DEFAULT, figures(counted=0, rate=None, required=None), UnitTargets("U1", 0.8), "U1", "Alpha")
    assert (nobody.standing, nobody.score, nobody.rank) == ("no_cadres", None, None)
    absent = score_unit(DEFAULT, None, UnitTargets("U9", 0.8), "U9", "U9")
    assert absent.standing == "no_cadres"
    assert score_unit(DEFAULT, figures(), None, "U1", "Alpha").standing == "no_targets"
    blank = score_unit(DEFAULT, figures(), UnitTargets("U1"), "U1", "Alpha")
    assert (blank.standing, blank.score) == ("no_targets", None)
    weightless = score_unit(Assessment(weights=Weights(completion_rate=1)), figures(),
                            UnitTargets("U1", hours_per_cadre=10.0), "U1", "Alpha")
    assert weightless.standing == "no_targets"


def test_units_ranked_by_score_equal_scores_share_a_rank_the_unscored_last():
    units = {code: figures(code, name, rate=rate) for code, name, rate in [
        ("U1", "Alpha", 0.5), ("U2", "Beta", 0.8), ("U3", "Gamma", 0.8), ("U4", "Delta", 0.9), ("U5", "Eta", 0.1)]}
    units["U6"] = figures("U6", "Zeta", counted=0, rate=None, required=None)
    targets = {code: UnitTargets(code, 0.8) for code in ("U1", "U2", "U3", "U4", "U6", "U7")}
    ranked = assess(DEFAULT, units, targets, {"U7": "Theta"})
    assert [(u.name, u.rank, u.score, u.standing) for u in ranked] == [
        ("Beta", 1, 100.0, "scored"), ("Delta", 1, 100.0, "scored"), ("Gamma", 1, 100.0, "scored"),
        ("Alpha", 4, 62.5, "scored"), ("Theta", None, None, "no_cadres"), ("Zeta", None, None, "no_cadres"),
        ("Eta", None, None, "no_targets")]


def test_the_share_completing_required_courses_is_rounded_once_as_a_rate():
    assert required_share(26, 25) == 0.038  # 1 of 26: 3.8%, as the completion rate reads it
    assert required_share(10, 0) == 1.0 and required_share(0, 0) is None
    assert required_share(3, 5) == 0.0  # never below nothing
    assert {"missing_required_course", "overdue_required_course", "failed_assessment"} == NOT_COMPLETED
