"""Material recovery rates against the thresholds of the industry's 规范条件, versioned as data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from events.elements import ELECTRODE_POWDER, MATERIAL_KEYS
from events.errors import InputError

# 新能源汽车废旧动力电池综合利用行业规范条件 (2024): minimum recovery, percent.
RECOVERY_THRESHOLDS: dict[str, dict[str, float]] = {
    "2024": {"Ni": 98.0, "Co": 98.0, "Mn": 98.0, "Li": 90.0, ELECTRODE_POWDER: 98.0},
}
DEFAULT_VERSION = "2024"
_ROUNDING = 1e-9  # 9.8 kg of 10 kg is 98 %, though floating point says 97.99999999999999 or so


@dataclass(frozen=True)
class ElementRate:
    element: str  # a chemical element symbol, or "electrode_powder"
    content_kg: float
    recovered_kg: float
    rate: float  # percent
    threshold: float | None  # percent; None when the 规范条件 set none for this element
    below: bool


def recovery_rates(
    content_kg: Mapping[str, float], recovered_kg: Mapping[str, float], version: str = DEFAULT_VERSION
) -> list[ElementRate]:
    """One rate per element in `content_kg`, sorted by element; what was not reported as recovered
    counts as 0 kg."""
    thresholds = RECOVERY_THRESHOLDS.get(version)
    if thresholds is None:
        known = ", ".join(sorted(RECOVERY_THRESHOLDS))
        raise InputError(f"unknown recovery rule version {version!r}; known: {known}")
    unknown = sorted(set(content_kg) - MATERIAL_KEYS) + sorted(set(recovered_kg) - MATERIAL_KEYS)
    if unknown:
        raise InputError(f"not chemical element symbols: {', '.join(unknown)}")
    missing = sorted(set(recovered_kg) - set(content_kg))
    if missing:
        raise InputError(f"recovered without a content to compare with: {', '.join(missing)}")
    rates = []
    for element in sorted(content_kg):
        content, recovered = content_kg[element], recovered_kg.get(element, 0.0)
        if not (math.isfinite(content) and math.isfinite(recovered)):
            raise InputError(f"{element}: {recovered:g} kg of {content:g} kg is not a pair of finite masses")
        if content <= 0 or not 0 <= recovered <= content:
            raise InputError(f"{element}: recovering {recovered:g} kg of {content:g} kg is not possible")
        rate = recovered / content * 100
        threshold = thresholds.get(element)
        below = threshold is not None and rate < threshold - _ROUNDING
        rates.append(ElementRate(element, content, recovered, rate, threshold, below))
    return rates
