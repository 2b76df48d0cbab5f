"""The physically plausible range of every physical quantity an event payload carries (docs/glossary.md,
"Plausible ranges"). A value outside is a mistake (a unit slip, a typo, a test value), never a
measurement; payloads refuse it, and the reports leave such values out of their sums when an entry
recorded before the bounds existed holds one (see ledger/usecases/reports/recovery.py).

Every bound is about one pack, the largest thing a code names: a traction or storage pack is under
10 t. Lower bounds stay where the schemas had them (positive, or not negative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    maximum: float  # inclusive
    unit: str
    reason: str

    def problem(self, value: float) -> str | None:
        """Why `value` is out of range, or None."""
        if not math.isfinite(value):
            return "must be a finite number"
        if value > self.maximum:
            return f"must be at most {self.maximum:,g} {self.unit} ({self.reason}), got {value:g}"
        return None


MASS_KG = Bound(10_000, "kg", "a pack is under 10 t")
ENERGY_KWH = Bound(5_000, "kWh", "under 10 t at 500 Wh/kg, more than any cell stores")
VOLTAGE_V = Bound(1_500, "V", "the ceiling of low-voltage DC (GB/T 156); packs run at 1,000 V or less")
RESISTANCE_MOHM = Bound(100_000, "mΩ", "100 Ω; a pack reads under 1 Ω, more is a unit slip")
PERCENT = Bound(100, "%", "a share of the whole")

# For docs and tests: every bound by the payload fields it applies to.
BOUNDS: dict[str, Bound] = {
    "mass (produced.mass_kg, dismantled.outputs[].mass_kg, recycled feed/content/recovered)": MASS_KG,
    "energy (produced.rated_capacity_kwh, inspected.residual_capacity_kwh)": ENERGY_KWH,
    "voltage (produced.nominal_voltage_v)": VOLTAGE_V,
    "resistance (inspected.internal_resistance_mohm)": RESISTANCE_MOHM,
    "state of health (inspected.soh_pct)": PERCENT,
}


def plausible_mass(kg: float) -> bool:
    """`kg` is a mass a report may add up: finite, positive or zero, within MASS_KG."""
    return math.isfinite(kg) and 0 <= kg <= MASS_KG.maximum
