"""Quality early warning (产品质量预警): incident rates per batch, maker, spec code, plant, chemistry and
production month, normalised by exposure, and an alarm for each group significantly above the rest
(events.warnings holds the method and its thresholds; docs/warnings.md explains them).

Batches are tested first, against the whole population. The coarser groups are then tested with the
alarmed batches set aside (from the group and from the rest alike): a batch that burns explains its
maker's and its month's excess, which would otherwise alarm too; a maker still above the rest without
its alarmed batches alarms on its own.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from pydantic import Field

from events import warnings as method
from events.errors import InputError
from events.timestamps import china_date
from events.warnings import DEFAULT_RULES, DIMENSIONS, FINEST, Comparison, Counts, WarningRules
from ledger.log import Ledger
from ledger.store import warningrows
from ledger.usecases import places
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.views import View

Key = tuple[tuple[str, str], ...]  # a group: (field, value) pairs in the dimension's order


class WarningAlarm(View):
    dimension: str = Field(description="the grouping: its fields joined by `+`, e.g. `maker+batch`")
    group: dict[str, str] = Field(description='the group, e.g. {"maker": "catl", "batch": "B1"}')
    packs: int
    incidents: int
    thermal_incidents: int = Field(description="of which thermal events and fires")
    weighted_incidents: int
    exposure_pack_days: int
    rate: float = Field(description="weighted incidents per 1,000 pack-years")
    baseline_rate: float = Field(description="the rest of the population's rate, likewise")
    expected: float = Field(description="weighted incidents the rest's per-kind rates predict for this exposure")
    statistic: float | None = Field(description="weighted incidents / expected (standardised incident ratio)")
    p_value: float = Field(description="P(weighted incidents ≥ observed) under the rest's rates (exact)")
    produced_from: date
    produced_to: date
    trace: str = Field(description="the recall trace page of the group's scope")
    trace_api: str = Field(description="the same trace from the API")
    trace_exact: bool = Field(description="the trace lists exactly the group's packs (false: a superset)")
    trace_packs: int = Field(description="packs the trace's scope holds")
    corrected_packs: int = Field(
        default=0, description="of `packs`, those counted with corrected `produced` values (batch, plant, chemistry)"
    )
    corrected_incidents: int = Field(
        default=0, description="of `incidents`, those counted with corrected values (kind, or the pack's)"
    )
    foreign_manufacturers: list[str] = Field(
        default_factory=list,
        description="the foreign manufacturers (境外生产企业, `name (country)`) of the group's imported packs: "
        "their importer is the group's `maker`; for packs handed over by another platform, their producers there "
        "(`id (platform)`), their receiver the group's `maker` (docs/federation.md)",
    )


class WarningsReport(View):
    as_of: date
    rules: str = Field(description="the version of the thresholds (events.warnings.WarningRules)")
    alpha: float = Field(description="the chance of any false alarm in this report")
    min_incidents: int
    p_threshold: float = Field(description="alpha / groups tested: a group alarms below it")
    weights: dict[str, int] = Field(description="weight of each incident kind")
    packs: int
    incidents: int
    weighted_incidents: int
    exposure_pack_days: int
    rate: float = Field(description="the whole population's weighted incidents per 1,000 pack-years")
    groups_tested: int
    alarms: list[WarningAlarm]
    region: str | None = Field(
        default=None, description="the population is the packs that touch this region (docs/regions.md)"
    )


@dataclass
class _Group:
    """What a group adds up to: exposure, incidents per kind, packs, production dates."""

    exposure: int = 0
    packs: int = 0
    incidents: Counter[str] = field(default_factory=Counter)
    corrected_packs: int = 0
    corrected_incidents: int = 0
    first: date | None = None
    last: date | None = None

    def add_packs(self, packs: int, exposure: int, made: date) -> None:
        self.packs += packs
        self.exposure += exposure
        self.first = made if self.first is None or made < self.first else self.first
        self.last = made if self.last is None or made > self.last else self.last

    def counts(self) -> Counts:
        return Counts(self.exposure, dict(self.incidents))


@dataclass(frozen=True)
class _Fine:
    """A finest-grain key: every field a dimension may group by."""

    maker: str
    batch: str | None
    plant: str | None
    spec: str
    chemistry: str
    production_date: date

    def key(self, fields: Sequence[str]) -> Key | None:
        """This pack's group in the dimension of `fields`; None when it has no value for one of them."""
        values = {
            "maker": self.maker,
            "batch": self.batch,
            "plant": self.plant,
            "spec": self.spec,
            "chemistry": self.chemistry,
            "month": self.production_date.strftime("%Y-%m"),
        }
        pairs = tuple((name, values[name]) for name in fields)
        return None if any(value is None for _, value in pairs) else pairs  # type: ignore[return-value]


def warnings(
    ledger: Ledger,
    caller: Caller,
    *,
    as_of: date | None = None,
    rules: WarningRules = DEFAULT_RULES,
    region: str | None = None,
) -> WarningsReport:
    """Incident rates per group against the rest, and the groups significantly above it. With a region (or
    for a region-scoped regulator) the population is the packs that touch the region: each group is
    compared with the rest of them."""
    require_regulator(caller, "read the quality early warnings")
    today = china_date(ledger.clock())
    as_of = as_of or today
    if as_of > today:
        raise InputError(f"as_of {as_of} is after today ({today}): exposure is counted up to it", code="invalid_filter")
    until = f"{as_of.isoformat()}T16:00:00Z"  # the end of `as_of` in China time, as entries' `at` is stored
    with ledger.engine.connect() as conn:
        where = places.place(conn, caller, region)
        scope = where.area if where is not None else None
        pack_rows = warningrows.pack_groups(conn, as_of, method.ENDED, touched_by=scope)
        incident_rows = warningrows.incident_groups(conn, as_of, until, touched_by=scope)
        foreign_rows = warningrows.foreign_groups(conn, as_of, touched_by=scope)
    fine: dict[_Fine, _Group] = {}
    for row in pack_rows:
        end = min(as_of, date.fromisoformat(row.ended)) if row.ended else as_of
        days = max(0, (end - row.production_date).days + 1)
        group = fine.setdefault(_Fine(*row[:6]), _Group())
        group.add_packs(row.packs, row.packs * days, row.production_date)
        group.corrected_packs += row.corrected
    for incident in incident_rows:
        kind = incident.kind if incident.kind is not None and incident.kind in rules.weights else "other"
        group = fine.setdefault(_Fine(*incident[:6]), _Group())
        group.incidents[kind] += incident.incidents
        group.corrected_incidents += incident.corrected
    report = _with_foreign_makers(_report(fine, as_of, rules), foreign_rows)
    if where is None:
        return report
    suffix = f"&region={where.region}"  # each alarm's trace covers the same packs as the report
    alarms = [
        a.model_copy(update={"trace": a.trace + suffix, "trace_api": a.trace_api + suffix}) for a in report.alarms
    ]
    return report.model_copy(update={"region": where.region, "alarms": alarms})


def _with_foreign_makers(report: WarningsReport, rows: Iterable[warningrows.ForeignGroup]) -> WarningsReport:
    """Each alarm with the foreign manufacturers of the imported packs in its group (and the producers on
    their origin platform of its arrived packs)."""
    foreign: dict[_Fine, set[str]] = {}
    for row in rows:
        foreign.setdefault(_Fine(*row[:6]), set()).add(f"{row.name} ({row.country})")
    if not foreign:
        return report
    alarms = []
    for alarm in report.alarms:
        fields = alarm.dimension.split("+")
        key = tuple((name, alarm.group[name]) for name in fields)
        names = sorted({name for fine, found in foreign.items() if fine.key(fields) == key for name in found})
        alarms.append(alarm.model_copy(update={"foreign_manufacturers": names}) if names else alarm)
    return report.model_copy(update={"alarms": alarms})


def _report(fine: dict[_Fine, _Group], as_of: date, rules: WarningRules) -> WarningsReport:
    everyone = _sum(fine.values())
    by_dimension = _distinct(fine)
    tested = sum(
        1 for groups in by_dimension.values() for group in groups.values() if 0 < group.exposure < everyone.exposure
    )
    alarms: list[WarningAlarm] = []
    # (1): batches, against the whole population
    for key, group in by_dimension[FINEST].items():
        result = method.compare(group.counts(), everyone.counts().minus(group.counts()), rules)
        if result is not None and method.alarms(result, tested, rules):
            alarms.append(_alarm(FINEST, key, group, result, fine))
    # (2): the coarser groups, with the alarmed batches set aside
    alarmed = {_key_of(alarm) for alarm in alarms}
    remaining = {k: g for k, g in fine.items() if k.key(FINEST) not in alarmed}
    population = _sum(remaining.values())
    for fields in DIMENSIONS[1:]:
        for key, group in _groups(remaining, fields).items():
            if key not in by_dimension[fields]:
                continue
            result = method.compare(group.counts(), population.counts().minus(group.counts()), rules)
            if result is not None and method.alarms(result, tested, rules):
                alarms.append(_alarm(fields, key, by_dimension[fields][key], result, fine))
    total = everyone.counts()
    return WarningsReport(
        as_of=as_of,
        rules=rules.version,
        alpha=rules.alpha,
        min_incidents=rules.min_incidents,
        p_threshold=rules.alpha / max(tested, 1),
        weights=dict(rules.weights),
        packs=everyone.packs,
        incidents=total.total,
        weighted_incidents=total.weighted(rules),
        exposure_pack_days=everyone.exposure,
        rate=total.weighted(rules) / everyone.exposure * method.RATE_UNIT_DAYS if everyone.exposure else 0.0,
        groups_tested=tested,
        alarms=sorted(alarms, key=lambda a: (a.p_value, a.dimension, sorted(a.group.items()))),
    )


def _sum(groups: Iterable[_Group]) -> _Group:
    total = _Group()
    for group in groups:
        if group.packs:
            total.add_packs(group.packs, group.exposure, group.first or date.min)
            total.add_packs(0, 0, group.last or date.min)
        total.incidents.update(group.incidents)
        total.corrected_packs += group.corrected_packs
        total.corrected_incidents += group.corrected_incidents
    return total


def _groups(fine: dict[_Fine, _Group], fields: Sequence[str]) -> dict[Key, _Group]:
    groups: dict[Key, _Group] = {}
    for finest, counts in fine.items():
        key = finest.key(fields)
        if key is not None:
            groups[key] = _sum([groups.get(key, _Group()), counts])
    return groups


def _distinct(fine: dict[_Fine, _Group]) -> dict[tuple[str, ...], dict[Key, _Group]]:
    """The groups of every dimension, less those holding exactly the packs of a group of a dimension
    before it (a maker's only plant is the maker): each population is tested once."""
    seen: set[frozenset[_Fine]] = set()
    found: dict[tuple[str, ...], dict[Key, _Group]] = {}
    for fields in DIMENSIONS:
        members: dict[Key, set[_Fine]] = {}
        for finest in fine:
            key = finest.key(fields)
            if key is not None:
                members.setdefault(key, set()).add(finest)
        groups = _groups(fine, fields)
        found[fields] = {}
        for key, group in groups.items():
            packs = frozenset(members[key])
            if packs not in seen:
                seen.add(packs)
                found[fields][key] = group
    return found


def _key_of(alarm: WarningAlarm) -> Key:
    return tuple((name, alarm.group[name]) for name in FINEST)


def _alarm(
    fields: Sequence[str], key: Key, group: _Group, result: Comparison, fine: dict[_Fine, _Group]
) -> WarningAlarm:
    scope = _trace_scope(dict(key), group, fine)
    trace_packs = sum(g.packs for k, g in fine.items() if _in_scope(k, scope))
    query = urlencode({name: value for name, value in scope.items() if value is not None})
    return WarningAlarm(
        dimension="+".join(fields),
        group=dict(key),
        packs=group.packs,
        incidents=result.incidents,
        thermal_incidents=sum(n for kind, n in group.incidents.items() if kind in method.THERMAL_KINDS),
        weighted_incidents=result.weighted,
        exposure_pack_days=result.exposure,
        rate=result.rate,
        baseline_rate=result.baseline_rate,
        expected=result.expected,
        statistic=result.ratio,
        p_value=result.p_value,
        produced_from=group.first or date.min,
        produced_to=group.last or date.min,
        trace=f"/regulator/recall?{query}",
        trace_api=f"/v1/reports/recall?{query}",
        trace_exact=trace_packs == group.packs,
        trace_packs=trace_packs,
        corrected_packs=group.corrected_packs,
        corrected_incidents=group.corrected_incidents,
    )


def _trace_scope(group: dict[str, str], counts: _Group, fine: dict[_Fine, _Group]) -> dict[str, str | None]:
    """The recall trace's filter (manufacturer, produced_from, produced_to, chemistry, spec) nearest the group.

    The trace has no batch or plant filter: a batch's or a plant's scope is its maker, spec code and
    chemistry when all its packs share one, and its first to last production date."""
    members = [k for k in fine if all(getattr(k, name) == value for name, value in group.items() if name != "month")]
    if "month" in group:
        year, month = (int(part) for part in group["month"].split("-"))
        first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        members = [k for k in members if k.production_date.strftime("%Y-%m") == group["month"]]
    narrow = "batch" in group or "plant" in group
    specs = {k.spec for k in members}
    chemistries = {k.chemistry for k in members}
    return {
        "manufacturer": group.get("maker"),
        "produced_from": first.isoformat() if "month" in group else _day(counts.first if narrow else None),
        "produced_to": last.isoformat() if "month" in group else _day(counts.last if narrow else None),
        "chemistry": group.get("chemistry") or (next(iter(chemistries)) if narrow and len(chemistries) == 1 else None),
        "spec": group.get("spec") or (next(iter(specs)) if narrow and len(specs) == 1 else None),
    }


def _day(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _in_scope(key: _Fine, scope: dict[str, str | None]) -> bool:
    made = key.production_date.isoformat()
    return (
        (scope["manufacturer"] is None or key.maker == scope["manufacturer"])
        and (scope["produced_from"] is None or made >= scope["produced_from"])
        and (scope["produced_to"] is None or made <= scope["produced_to"])
        and (scope["chemistry"] is None or key.chemistry == scope["chemistry"])
        and (scope["spec"] is None or key.spec == scope["spec"])
    )
