"""What the warning report must say of a generated province, computed here from the generator's plan
(not from the ledger): exposure per batch, the rest's, the rates, the test's p-value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tests.warnings.exact import poisson_tail

AS_OF = date(2026, 6, 30)


@dataclass(frozen=True)
class Expected:
    exposure: int
    rest_exposure: int
    rate: float
    baseline_rate: float
    expected: float
    statistic: float
    p_value: float


def batch_alarm(made: dict[str, date], size: int, batch: str, thermal: dict[str, int]) -> Expected:
    """Batch `batch` against the rest: every incident a thermal event (weight 3)."""
    days = {name: (AS_OF - day).days + 1 for name, day in made.items()}
    exposure = size * days[batch]
    rest = size * sum(d for name, d in days.items() if name != batch)
    events = thermal[batch]
    rest_events = sum(n for name, n in thermal.items() if name != batch)
    mu = Decimal(rest_events) / rest * exposure
    return Expected(
        exposure=exposure,
        rest_exposure=rest,
        rate=3 * events / exposure * 365_000,
        baseline_rate=3 * rest_events / rest * 365_000,
        expected=float(3 * mu),
        statistic=3 * events / float(3 * mu),
        p_value=poisson_tail(events, mu),
    )
