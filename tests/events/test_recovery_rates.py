"""Recovery rates against the 规范条件 (2024) thresholds."""

from __future__ import annotations

import pytest

from events.errors import InputError
from events.recovery import RECOVERY_THRESHOLDS, ElementRate, recovery_rates


def test_the_2024_thresholds() -> None:
    assert RECOVERY_THRESHOLDS["2024"] == {"Ni": 98.0, "Co": 98.0, "Mn": 98.0, "Li": 90.0, "electrode_powder": 98.0}


def test_rates_thresholds_and_below_flags() -> None:
    content = {"Ni": 50.0, "Li": 10.0, "Co": 20.0, "Mn": 20.0, "Cu": 30.0, "electrode_powder": 100.0}
    recovered = {"Ni": 49.0, "Li": 8.9, "Co": 19.8, "Mn": 19.5, "Cu": 29.0, "electrode_powder": 97.0}
    rates = recovery_rates(content, recovered)
    assert [(r.element, r.threshold, r.below) for r in rates] == [
        ("Co", 98.0, False),  # 99 %
        ("Cu", None, False),  # no threshold for copper
        ("Li", 90.0, True),  # 89 %
        ("Mn", 98.0, True),  # 97.5 %
        ("Ni", 98.0, False),  # exactly 98 %: not below
        ("electrode_powder", 98.0, True),  # 97 %
    ]
    assert [r.rate for r in rates] == pytest.approx([99.0, 96.6666667, 89.0, 97.5, 98.0, 97.0])
    assert rates[2] == ElementRate("Li", 10.0, 8.9, pytest.approx(89.0), 90.0, True)  # type: ignore[arg-type]


def test_a_rate_exactly_at_the_threshold_is_not_below_despite_floating_point() -> None:
    (rate,) = recovery_rates({"Ni": 10.0}, {"Ni": 9.8})
    assert rate.below is False
    (li,) = recovery_rates({"Li": 3.0}, {"Li": 2.7})
    assert li.below is False


def test_what_was_not_recovered_counts_as_zero() -> None:
    (rate,) = recovery_rates({"Co": 12.0}, {})
    assert (rate.recovered_kg, rate.rate, rate.below) == (0.0, 0.0, True)


@pytest.mark.parametrize(
    ("content", "recovered", "version", "message"),
    [
        ({"Ni": 1.0}, {}, "1999", "unknown recovery rule version '1999'; known: 2024"),
        ({"Nx": 1.0}, {"Qq": 1.0}, "2024", "not chemical element symbols: Nx, Qq"),
        ({"Ni": 1.0}, {"Co": 0.5}, "2024", "recovered without a content to compare with: Co"),
        ({"Ni": 1.0}, {"Ni": 1.5}, "2024", "Ni: recovering 1.5 kg of 1 kg is not possible"),
        ({"Ni": 0.0}, {}, "2024", "Ni: recovering 0 kg of 0 kg is not possible"),
        ({"Ni": 1.0}, {"Ni": -0.1}, "2024", "Ni: recovering -0.1 kg of 1 kg is not possible"),
    ],
)
def test_impossible_inputs(content: dict[str, float], recovered: dict[str, float], version: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        recovery_rates(content, recovered, version)
    assert caught.value.message == message
