"""The warning statistics (events.warnings) against values computed here independently: Poisson and
compound-Poisson tails summed term by term in 60-digit decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from events.warnings import DEFAULT_RULES, Counts, WarningRules, alarms, compare, compound_poisson_sf
from tests.warnings.exact import poisson_tail, two_kind_tail


@pytest.mark.parametrize(
    ("observed", "mu"),
    [(1, "0.5"), (5, "2"), (6, "0.02"), (12, "0.3"), (40, "20"), (1200, "1000"), (3, "900")],
)
def test_the_tail_of_one_weight_is_the_poisson_tail(observed: int, mu: str) -> None:
    assert compound_poisson_sf(observed, {1: float(mu)}) == pytest.approx(poisson_tail(observed, Decimal(mu)), rel=1e-9)


def test_six_thermal_events_are_eighteen_weighted_and_the_tail_of_six() -> None:
    expected = poisson_tail(6, Decimal("0.02"))  # 8.7378e-14: 1 − CDF in floats would be off by 0.1 %
    assert compound_poisson_sf(18, {3: 0.02}) == pytest.approx(expected, rel=1e-9)
    assert compound_poisson_sf(16, {3: 0.02}) == compound_poisson_sf(18, {3: 0.02})  # only multiples of 3 occur
    assert expected == pytest.approx(8.73783340403e-14, rel=1e-10)


@pytest.mark.parametrize(("observed", "mu1", "mu3"), [(7, "1.5", "0.4"), (20, "0.8", "0.1"), (4, "3", "2")])
def test_mixed_weights_match_the_enumeration(observed: int, mu1: str, mu3: str) -> None:
    found = compound_poisson_sf(observed, {1: float(mu1), 3: float(mu3)})
    assert found == pytest.approx(two_kind_tail(observed, Decimal(mu1), Decimal(mu3)), rel=1e-9)


def test_a_large_mean_neither_underflows_nor_overflows() -> None:
    # e^-3000 underflows a float: the recursion is scaled
    assert compound_poisson_sf(3200, {1: 3000.0}) == pytest.approx(poisson_tail(3200, Decimal(3000)), rel=1e-7)


def test_edges() -> None:
    assert compound_poisson_sf(0, {3: 1.0}) == 1.0
    assert compound_poisson_sf(1, {1: 0.0}) == 0.0  # nothing expected, something seen
    with pytest.raises(ValueError, match="weights must be positive integers"):
        compound_poisson_sf(2, {0: 1.0})


def test_a_group_against_the_rest() -> None:
    group = Counts(exposure=53_100, incidents={"thermal_event": 6})
    rest = Counts(exposure=3_767_400, incidents={"thermal_event": 2})
    result = compare(group, rest)
    assert result is not None
    mu = Decimal(2) / 3_767_400 * 53_100
    assert (result.incidents, result.weighted, result.exposure) == (6, 18, 53_100)
    assert result.rate == 18 / 53_100 * 365_000
    assert result.baseline_rate == 6 / 3_767_400 * 365_000
    assert result.expected == pytest.approx(float(3 * mu), rel=1e-12)
    assert result.ratio == pytest.approx(18 / float(3 * mu), rel=1e-12)
    assert result.p_value == pytest.approx(poisson_tail(6, mu), rel=1e-9)
    assert alarms(result, tested=105)  # 6.8e-13 < 0.01 / 105


def test_weights_and_thresholds_are_data() -> None:
    group = Counts(exposure=1_000, incidents={"collision": 2, "fire": 1})
    rest = Counts(exposure=100_000, incidents={"collision": 10})  # 0.1 collisions expected in the group
    assert group.weighted(DEFAULT_RULES) == 5  # the fire weighs 3
    result = compare(group, rest)
    assert result is not None
    assert result.p_value == pytest.approx(poisson_tail(5, Decimal("0.1")), rel=1e-9)  # 7.5e-8
    assert alarms(result, tested=1000)  # below 0.01 / 1000
    assert not alarms(result, tested=1, rules=WarningRules(min_incidents=4))
    unweighted = WarningRules(weights={kind: 1 for kind in DEFAULT_RULES.weights})
    flat = compare(group, rest, unweighted)
    assert flat is not None and flat.weighted == 3
    assert flat.p_value == pytest.approx(poisson_tail(3, Decimal("0.1")), rel=1e-9)  # 1.5e-4
    assert alarms(flat, tested=1, rules=unweighted) and not alarms(flat, tested=100, rules=unweighted)
    assert compare(group, Counts(0, {})) is None  # no rest: nothing to compare with
