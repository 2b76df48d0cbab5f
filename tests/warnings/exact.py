"""Poisson tails in 60-digit decimals, summed term by term: the tests' independent reference values."""

from __future__ import annotations

import math
from decimal import Context, Decimal

DIGITS = Context(prec=60)


def poisson_pmf(k: int, mu: Decimal) -> Decimal:
    if mu == 0:
        return Decimal(1 if k == 0 else 0)
    return DIGITS.multiply(DIGITS.exp(-mu), DIGITS.divide(DIGITS.power(mu, k), math.factorial(k)))


def poisson_tail(n: int, mu: Decimal) -> float:
    """P(N ≥ n), N ~ Poisson(mu): 1 − CDF in 60 digits, where the cancellation costs nothing (each term
    the one before times mu / k)."""
    term = DIGITS.exp(-mu)
    below = Decimal(0)
    for k in range(n):
        below = DIGITS.add(below, term)
        term = DIGITS.divide(DIGITS.multiply(term, mu), k + 1)
    return float(DIGITS.subtract(1, below))


def two_kind_tail(observed: int, mu1: Decimal, mu3: Decimal) -> float:
    """P(N1 + 3·N3 ≥ observed) for independent Poisson N1, N3, by enumerating the complement."""
    below = Decimal(0)
    for n3 in range(observed // 3 + 1):
        for n1 in range(observed - 3 * n3):
            below = DIGITS.add(below, DIGITS.multiply(poisson_pmf(n1, mu1), poisson_pmf(n3, mu3)))
    return float(DIGITS.subtract(1, below))
