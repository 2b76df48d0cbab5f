"""Quality early warning (产品质量预警): which group of packs has more incidents than the rest, as data and
pure arithmetic (docs/warnings.md explains the method).

A group's *exposure* is the pack-days its packs were at risk: from the production date (packs in stock
count: a pack can burn in a warehouse) to the report day, or to the day a pack left the population
(`ENDED`: recycled, dismantled, repurposed into another code, exported, transferred to another platform,
lost: the day it entered that status), both days counted. Each
incident counts its kind's *weight* (`KIND_WEIGHTS`: thermal events and fires above the rest).

The test: under the null hypothesis, the group's incidents of each kind are Poisson with the rest of the
population's rate of that kind times the group's exposure, so its weighted count is compound Poisson.
The p-value is the exact upper tail P(S ≥ observed weighted count) (`compound_poisson_sf`, Panjer's
recursion). A group alarms when it has at least `min_incidents` incidents and its p-value is below
`alpha` divided by the number of groups tested (Bonferroni: the chance of any false alarm in one report
stays below `alpha`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

# Incident kinds (events.catalogue.IncidentData.kind) and their weights: positive integers, so the
# weighted count keeps an exact distribution. Thermal kinds weigh three times a collision or a flood.
KIND_WEIGHTS: dict[str, int] = {"thermal_event": 3, "fire": 3, "collision": 1, "flood": 1, "other": 1}
THERMAL_KINDS = frozenset({"thermal_event", "fire"})

# Pack statuses (events.lifecycle.Status) after which a pack is no longer at risk: its exposure ends on
# the (UTC) day it entered that status.
ENDED = ("recycled", "dismantled", "repurposed", "exported", "lost", "in_lot", "transferred")

# The groupings, finest first: each names the pack fields that make its key. Batch, plant and spec
# codes are the maker's own, so they are keyed with the maker.
DIMENSIONS: tuple[tuple[str, ...], ...] = (
    ("maker", "batch"),
    ("maker",),
    ("maker", "spec"),
    ("maker", "plant"),
    ("chemistry",),
    ("month",),
)
FINEST = DIMENSIONS[0]

RATE_UNIT_DAYS = 365_000  # rates are weighted incidents per 1,000 pack-years


@dataclass(frozen=True)
class WarningRules:
    """The alarm thresholds, versioned like the deadline rules."""

    version: str = "2026-12"
    alpha: float = 0.01  # the chance of one or more false alarms in a report
    min_incidents: int = 3  # a group with fewer incidents never alarms, however small its exposure
    weights: Mapping[str, int] = field(default_factory=lambda: dict(KIND_WEIGHTS))

    def weight(self, kind: str) -> int:
        return self.weights.get(kind, self.weights["other"])


DEFAULT_RULES = WarningRules()

_RESCALE = 1e200
_TAIL_EPSILON = 1e-17
_MAX_STEPS = 1_000_000


def compound_poisson_sf(observed: int, expected: Mapping[int, float]) -> float:
    """P(S ≥ observed) for S = Σ w·N_w, N_w independent Poisson with means `expected[w]` (w ≥ 1 integers).

    Panjer's recursion for the compound Poisson: P(S = s) = (1/s) Σ_w w·μ_w·P(S = s − w), P(S = 0) = e^−Λ.
    The terms are kept scaled (with the scale's logarithm apart), so neither e^−Λ nor large counts under-
    or overflow; a small tail is summed directly rather than taken as 1 − CDF.
    """
    if any(w < 1 or mu < 0 or not math.isfinite(mu) for w, mu in expected.items()):
        raise ValueError(f"weights must be positive integers and means finite and non-negative: {dict(expected)}")
    if observed <= 0:
        return 1.0
    terms = {w: w * mu for w, mu in expected.items() if mu > 0}
    if not terms:
        return 0.0
    mean = sum(terms.values())
    widest = max(terms)
    scaled = [1.0]  # P(S = s) · e^(Λ − log_scale)
    log_scale = -sum(expected.values())
    below = 1.0  # Σ scaled[s] for s < observed

    def step(s: int) -> float:
        return sum(wm * scaled[s - w] for w, wm in terms.items() if w <= s) / s

    def rescale() -> None:
        nonlocal log_scale
        for i in range(len(scaled)):
            scaled[i] /= _RESCALE
        log_scale += math.log(_RESCALE)

    for s in range(1, observed):
        scaled.append(step(s))
        below += scaled[s]
        if scaled[s] > _RESCALE:
            rescale()
            below /= _RESCALE
    cdf = below * math.exp(log_scale)
    if cdf < 0.5:
        return max(0.0, 1.0 - cdf)
    tail = 0.0
    s = observed
    while s < observed + _MAX_STEPS:
        scaled.append(step(s))
        tail += scaled[s]
        if scaled[s] > _RESCALE:
            rescale()
            tail /= _RESCALE
        recent = scaled[-widest:]
        if s > mean and sum(recent) <= _TAIL_EPSILON * tail:
            break
        s += 1
    return min(1.0, tail * math.exp(log_scale))


@dataclass(frozen=True)
class Counts:
    """A population's exposure (pack-days) and incidents per kind."""

    exposure: int
    incidents: Mapping[str, int]

    def weighted(self, rules: WarningRules) -> int:
        return sum(rules.weight(kind) * n for kind, n in self.incidents.items())

    @property
    def total(self) -> int:
        return sum(self.incidents.values())

    def minus(self, other: Counts) -> Counts:
        kinds = set(self.incidents) | set(other.incidents)
        return Counts(
            self.exposure - other.exposure,
            {k: self.incidents.get(k, 0) - other.incidents.get(k, 0) for k in sorted(kinds)},
        )


@dataclass(frozen=True)
class Comparison:
    """One group against the rest of the population."""

    incidents: int
    weighted: int
    exposure: int
    rate: float  # weighted incidents per 1,000 pack-years
    baseline_rate: float  # the rest's, likewise
    expected: float  # the weighted incidents the rest's rates predict for the group's exposure
    ratio: float | None  # weighted / expected: the standardised incident ratio (None: nothing expected)
    p_value: float


def compare(group: Counts, rest: Counts, rules: WarningRules = DEFAULT_RULES) -> Comparison | None:
    """The group's weighted incidents against the rest's per-kind rates; None when either population has
    no exposure (nothing to compare with)."""
    if group.exposure <= 0 or rest.exposure <= 0:
        return None
    expected_by_weight: dict[int, float] = {}
    for kind, n in rest.incidents.items():
        w = rules.weight(kind)
        expected_by_weight[w] = expected_by_weight.get(w, 0.0) + n / rest.exposure * group.exposure
    weighted = group.weighted(rules)
    expected = sum(w * mu for w, mu in expected_by_weight.items())
    return Comparison(
        incidents=group.total,
        weighted=weighted,
        exposure=group.exposure,
        rate=weighted / group.exposure * RATE_UNIT_DAYS,
        baseline_rate=rest.weighted(rules) / rest.exposure * RATE_UNIT_DAYS,
        expected=expected,
        ratio=weighted / expected if expected > 0 else None,
        p_value=compound_poisson_sf(weighted, expected_by_weight),
    )


def alarms(result: Comparison, tested: int, rules: WarningRules = DEFAULT_RULES) -> bool:
    """Whether a group alarms, `tested` groups having been tested in the report."""
    return result.incidents >= rules.min_incidents and result.p_value < rules.alpha / max(tested, 1)


__all__ = [
    "DEFAULT_RULES",
    "DIMENSIONS",
    "ENDED",
    "FINEST",
    "KIND_WEIGHTS",
    "THERMAL_KINDS",
    "Comparison",
    "Counts",
    "WarningRules",
    "alarms",
    "compare",
    "compound_poisson_sf",
]
