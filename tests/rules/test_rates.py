"""The completion rate is rounded once, half up on whole numbers, to the tenth of a percent it is published at."""

from __future__ import annotations

from fractions import Fraction

import pytest

from moodle_bridge.rules.rates import completion_rate, counted_cadres, rate_change


def test_one_of_26_is_3_8_percent_not_3_9():
    # 1/26 = 0.03846...: rounded to 0.0385 first, then to a tenth of a percent, it read 3.9%
    assert completion_rate({"compliant": 1, "at_risk": 25}) == 0.038


@pytest.mark.parametrize(("compliant", "counted", "published"), [
    (77, 2000, 0.039),  # exactly 3.85%: half up
    (1, 3, 0.333), (2, 3, 0.667), (1, 2, 0.5), (0, 5, 0.0), (5, 5, 1.0), (999, 1000, 0.999), (1999, 2000, 1.0)])
def test_half_up_on_the_exact_fraction(compliant, counted, published):
    assert completion_rate({"compliant": compliant, "non_compliant": counted - compliant}) == published


def test_every_fraction_is_rounded_once():
    for counted in range(1, 400):
        for compliant in range(counted + 1):
            exact = Fraction(compliant, counted) * 1000
            thousandths = int(exact) + (exact - int(exact) >= Fraction(1, 2))
            assert completion_rate({"compliant": compliant, "on_track": counted - compliant}) == thousandths / 1000


def test_exempt_and_suspended_are_not_counted():
    counts = {"compliant": 1, "on_track": 1, "exempt": 5, "suspended": 3, "name": 7}
    assert counted_cadres(counts) == 2 and completion_rate(counts) == 0.5
    assert completion_rate({"exempt": 2, "suspended": 1}) is None


def test_the_change_is_between_the_published_rates_in_points():
    assert rate_change(0.042, 0.038) == 0.4 and rate_change(0.5, 0.0) == 50.0 and rate_change(0.333, 0.5) == -16.7
    assert rate_change(None, 0.5) is None and rate_change(0.5, None) is None

