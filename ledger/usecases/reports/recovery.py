"""Recovery: recovered over contained mass per recycler and element, against the 规范条件 thresholds, from
the report tables. An element whose masses are implausible is listed apart rather than summed."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from pydantic import Field

from events.orgs import Org
from events.quantities import MASS_KG
from events.recovery import RECOVERY_THRESHOLDS, recovery_rates
from ledger.log import Ledger
from ledger.store import registry, reportrows
from ledger.store.reportrows import ElementSum
from ledger.usecases import places
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.report_index import DEFAULT_BASIS, Basis, refresh
from ledger.usecases.views import View

MAX_IMPLAUSIBLE = 1_000


class RecoveryRow(View):
    recycler: str
    name: str | None
    whitelisted: bool
    element: str
    events: int = Field(description="`recycled` entries that reported this element (with plausible masses)")
    content_kg: float
    recovered_kg: float
    rate: float = Field(description="percent: recovered over content, summed over the entries")
    threshold: float | None
    below: bool
    events_below: int = Field(description="entries whose own rate for this element is below the threshold")
    corrected: int = Field(default=0, description="of `events`, entries counted with their corrected values")
    corrections: list[int] = Field(
        default_factory=list, description="log indexes of the corrections those values come from (the latest of each)"
    )


class ImplausibleRecovery(View):
    index: int = Field(description="the `recycled` entry")
    recycler: str
    pack: str
    element: str
    content_kg: float | None = Field(description="null when not a finite number")
    recovered_kg: float | None = Field(description="null when not a finite number")


class RecoveryReport(View):
    thresholds_version: str
    thresholds: dict[str, float]
    log_size: int
    rows: list[RecoveryRow]
    totals: list[RecoveryRow] = Field(description="all recyclers together, per element (recycler '*')")
    region: str | None = Field(default=None, description="the region the report covers (docs/regions.md)")
    implausible: list[ImplausibleRecovery] = Field(
        default_factory=list,
        description=f"left out of the sums: masses outside 0-{MASS_KG.maximum:g} kg ({MASS_KG.reason}), "
        "from entries recorded before payloads were bounded",
    )


def recovery(
    ledger: Ledger, caller: Caller, *, basis: Basis = DEFAULT_BASIS, region: str | None = None
) -> RecoveryReport:
    """Recovered over contained mass per recycler and element, against the 规范条件 thresholds (with a region,
    or for a region-scoped regulator: of the recyclers located in it)."""
    require_regulator(caller, "read the recovery report")
    size = refresh(ledger, basis)
    with ledger.engine.connect() as conn:
        where = places.place(conn, caller, region)
        orgs = {org.id: org for org in registry.list_orgs(conn)}
        sums = reportrows.element_sums(conn, basis.name, size, max_kg=MASS_KG.maximum)
        implausible = reportrows.implausible_elements(
            conn, basis.name, size, max_kg=MASS_KG.maximum, limit=MAX_IMPLAUSIBLE
        )
        fixed = reportrows.corrected_elements(conn, basis.name, size, max_kg=MASS_KG.maximum)
    if where is not None:
        sums = [row for row in sums if where.holds(row.actor)]
        implausible = [row for row in implausible if where.holds(row.actor)]
        fixed = [fix for fix in fixed if where.holds(fix.actor)]
    corrections: dict[tuple[str, str], list[int]] = defaultdict(list)
    for fix in fixed:
        corrections[(fix.actor, fix.element)].append(fix.correction)
        corrections[("*", fix.element)].append(fix.correction)
    per_recycler: dict[str, list[ElementSum]] = defaultdict(list)
    overall: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0])
    for row in sums:
        per_recycler[row.actor].append(row)
        total = overall[row.element]
        total[0] += row.events
        total[1] += row.content_kg
        total[2] += row.recovered_kg
        total[3] += row.below
    report_rows = []
    for actor, elements in per_recycler.items():
        report_rows += _recovery_rows(actor, orgs.get(actor), elements, basis.recovery_version, corrections)
    totals = _recovery_rows(
        "*",
        None,
        [ElementSum("*", e, int(t[0]), t[1], t[2], int(t[3])) for e, t in sorted(overall.items())],
        basis.recovery_version,
        corrections,
    )
    return RecoveryReport(
        thresholds_version=basis.recovery_version,
        thresholds=RECOVERY_THRESHOLDS[basis.recovery_version],
        log_size=size,
        rows=report_rows,
        totals=totals,
        region=where.region if where is not None else None,
        implausible=[
            ImplausibleRecovery(
                index=row.idx,
                recycler=row.actor,
                pack=row.pack,
                element=row.element,
                content_kg=_finite(row.content_kg),
                recovered_kg=_finite(row.recovered_kg),
            )
            for row in implausible
        ],
    )


def _finite(kg: float | None) -> float | None:
    return float(kg) if kg is not None and math.isfinite(kg) else None


def _recovery_rows(
    actor: str,
    org: Org | None,
    elements: Sequence[ElementSum],
    version: str,
    corrections: Mapping[tuple[str, str], list[int]],
) -> list[RecoveryRow]:
    counts = {row.element: (row.events, row.below) for row in elements}
    rates = recovery_rates(
        {row.element: row.content_kg for row in elements},
        {row.element: row.recovered_kg for row in elements},
        version,
    )
    return [
        RecoveryRow(
            recycler=actor,
            name=org.name if org is not None else None,
            whitelisted=org.whitelisted if org is not None else False,
            element=rate.element,
            events=counts[rate.element][0],
            content_kg=rate.content_kg,
            recovered_kg=rate.recovered_kg,
            rate=rate.rate,
            threshold=rate.threshold,
            below=rate.below,
            events_below=counts[rate.element][1],
            corrected=len(corrections.get((actor, rate.element), ())),
            corrections=sorted(set(corrections.get((actor, rate.element), ()))),
        )
        for rate in rates
    ]
