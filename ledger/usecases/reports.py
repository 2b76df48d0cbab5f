"""The regulator's reports (DESIGN §5, §7): recall trace, compliance (late reports and 流向不明), recovery
rates and per-organisation statistics. Regulators only (`Caller.is_regulator`: not the administrator).

    recall          the pack projection through its indexes (maker code or producer + production date)
    compliance      late entries from the report tables (ledger.usecases.report_index), 流向不明 from the packs
                    in transit or retired (events.deadlines.unaccounted)
    recovery        per recycler and element, from the report tables; an entry's element whose masses
                    are outside the plausible range (events.quantities: recorded before the payloads
                    were bounded) is left out of the sums and listed apart, so no sum overflows and no
                    real rate is hidden behind it
    organisations   per organisation, from the report tables and the pack projection

Each function brings the report tables up to date first (`report_index.refresh`), so a report counts
every entry committed before it started. `csv_text` renders any report's rows as CSV.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Connection, and_, case, distinct, func, or_, select

from events.catalogue import CHEMISTRIES
from events.deadlines import UNACCOUNTED_STATUSES, unaccounted
from events.errors import InputError
from events.lifecycle import Status
from events.orgs import Org, check_maker_filter, check_org_filter
from events.quantities import MASS_KG
from events.recovery import RECOVERY_THRESHOLDS, recovery_rates
from events.state import PackState
from events.timestamps import to_rfc3339
from ledger.log import Ledger
from ledger.store import registry
from ledger.store.schema import Pack
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.report_index import ACTOR, DEFAULT_BASIS, LATE, RECOVERY, Basis, refresh
from ledger.usecases.views import View

PACK = Pack.__table__  # type: ignore[attr-defined]

MAX_RECALL = 100_000
MAX_LATE = 100_000
MAKER_CODE = re.compile(r"[A-Z0-9]{3}")
SPEC_CODE = re.compile(r"[A-Z0-9]{2}")
# where a pack is, beyond its custodian and vehicle: read from the state only for these statuses
_PLACED_STATUSES = (Status.IN_TRANSIT.value, Status.IN_STORAGE_SYSTEM.value)


# -- recall ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecallFilter:
    manufacturer: str | None = None  # the 3-character maker code, or the producer's org id
    produced_from: date | None = None
    produced_to: date | None = None
    chemistry: str | None = None
    spec: str | None = None  # the spec code, positions 6-7 of the battery code

    def checked(self) -> RecallFilter:
        if not any(vars(self).values()):
            raise InputError(
                "a recall trace needs at least one of manufacturer, produced_from, produced_to, chemistry, spec",
                code="invalid_filter",
            )
        if self.chemistry is not None and self.chemistry not in CHEMISTRIES:
            raise InputError(
                f"unknown chemistry {self.chemistry!r}; chemistries are: {', '.join(CHEMISTRIES)}",
                code="invalid_filter",
            )
        check_maker_filter("manufacturer", self.manufacturer)
        if self.spec is not None and not SPEC_CODE.fullmatch(self.spec):
            raise InputError(
                f"spec {self.spec!r} must be the 2-character spec code of the battery code", code="invalid_filter"
            )
        if self.produced_from and self.produced_to and self.produced_from > self.produced_to:
            raise InputError(
                f"produced_from {self.produced_from} is after produced_to {self.produced_to}", code="invalid_filter"
            )
        return self


class RecallPack(View):
    code: str
    status: str
    custodian: str
    custodian_name: str | None
    manufacturer: str
    maker_code: str
    chemistry: str
    spec: str
    production_date: date | None
    vin: str | None = Field(description="the vehicle the pack is installed in now")
    site: str | None = Field(description="the storage system the pack is installed in now")
    receiver: str | None = Field(description="in transit: the organisation it was shipped to")


class RecallReport(View):
    manufacturer: str | None
    produced_from: date | None
    produced_to: date | None
    chemistry: str | None
    spec: str | None
    count: int
    truncated: bool = Field(description=f"more than {MAX_RECALL:,} packs matched; narrow the filter")
    by_status: dict[str, int]
    packs: list[RecallPack]


def recall(ledger: Ledger, caller: Caller, where: RecallFilter) -> RecallReport:
    """Where every pack of a batch is now: maker (code or org), production dates, chemistry, spec."""
    require_regulator(caller, "run a recall trace")
    where = where.checked()
    placed = case((PACK.c.status.in_(_PLACED_STATUSES), PACK.c.state), else_=None)
    stmt = select(
        PACK.c.code,
        PACK.c.status,
        PACK.c.custodian,
        PACK.c.manufacturer,
        PACK.c.maker_code,
        PACK.c.chemistry,
        PACK.c.production_date,
        PACK.c.vin,
        placed.label("placed"),
    )
    if where.manufacturer is not None:
        by_org = PACK.c.manufacturer == where.manufacturer
        stmt = stmt.where(
            or_(PACK.c.maker_code == where.manufacturer, by_org) if MAKER_CODE.fullmatch(where.manufacturer) else by_org
        )
    if where.produced_from is not None:
        stmt = stmt.where(PACK.c.production_date >= where.produced_from)
    if where.produced_to is not None:
        stmt = stmt.where(PACK.c.production_date <= where.produced_to)
    if where.chemistry is not None:
        stmt = stmt.where(PACK.c.chemistry == where.chemistry)
    if where.spec is not None:
        stmt = stmt.where(func.substr(PACK.c.code, 6, 2) == where.spec)
    with ledger.engine.connect() as conn:
        rows = conn.execute(stmt.order_by(PACK.c.code).limit(MAX_RECALL + 1)).all()
        names = _org_names(conn)
    packs = [_recall_pack(row, names) for row in rows[:MAX_RECALL]]
    by_status: dict[str, int] = defaultdict(int)
    for pack in packs:
        by_status[pack.status] += 1
    return RecallReport(
        **vars(where),
        count=len(packs),
        truncated=len(rows) > MAX_RECALL,
        by_status=dict(sorted(by_status.items())),
        packs=packs,
    )


def _recall_pack(row: Any, names: dict[str, str]) -> RecallPack:
    state = PackState.from_dict(row.placed) if row.placed is not None else None
    binding = state.binding if state is not None else None
    return RecallPack(
        code=row.code,
        status=row.status,
        custodian=row.custodian,
        custodian_name=names.get(row.custodian),
        manufacturer=row.manufacturer,
        maker_code=row.maker_code,
        chemistry=row.chemistry,
        spec=row.code[5:7],
        production_date=row.production_date,
        vin=row.vin,
        site=binding.target if binding is not None and binding.kind == "site" else None,
        receiver=state.receiver if state is not None else None,
    )


def _orgs(conn: Connection) -> dict[str, Org]:
    return {org.id: org for org in registry.list_orgs(conn)}


def _org_names(conn: Connection) -> dict[str, str]:
    return {org_id: org.name for org_id, org in _orgs(conn).items()}


# -- compliance -----------------------------------------------------------------------------------------


class LateEntry(View):
    index: int
    org: str
    org_name: str | None
    rule: str
    rule_text: str
    type: str
    pack: str
    occurred_at: str
    recorded_at: str
    due: date = Field(description="the last day (China time) the report was on time")
    working_days_late: int


class OrgLateness(View):
    org: str
    name: str | None
    timed: int = Field(description="entries a reporting deadline applies to")
    late: int
    late_pct: float | None
    by_rule: dict[str, int]


class RuleLateness(View):
    rule: str
    text: str
    working_days: int
    late: int


class UnaccountedPack(View):
    pack: str
    status: str
    reason: str = Field(description="retired-not-collected or shipped-not-received")
    since: str
    days: int
    limit_days: int
    custodian: str
    receiver: str | None


class ComplianceReport(View):
    ruleset: str
    ruleset_title: str
    as_of: datetime
    log_size: int = Field(description="entries counted: the log's size when the report was made")
    late_total: int
    truncated: bool
    late: list[LateEntry]
    by_org: list[OrgLateness]
    by_rule: list[RuleLateness]
    unaccounted: list[UnaccountedPack]


def compliance(
    ledger: Ledger,
    caller: Caller,
    *,
    org: str | None = None,
    rule: str | None = None,
    limit: int = MAX_LATE,
    basis: Basis = DEFAULT_BASIS,
) -> ComplianceReport:
    """Late reports (per entry, per organisation, per rule) and packs whose whereabouts are unknown."""
    require_regulator(caller, "read the compliance report")
    check_org_filter("org", org)
    rules = {r.id: r for r in basis.ruleset.rules}
    if rule is not None and rule not in rules:
        raise InputError(f"unknown rule {rule!r}; rules are: {', '.join(rules)}", code="invalid_filter")
    if not 1 <= limit <= MAX_LATE:
        raise InputError(f"limit must be 1 to {MAX_LATE}, found {limit}", code="invalid_filter")
    size = refresh(ledger, basis)
    now = ledger.clock()
    with ledger.engine.connect() as conn:
        names = _org_names(conn)
        stmt = select(LATE).where(LATE.c.basis == basis.name, LATE.c.idx < size)
        if org is not None:
            stmt = stmt.where(LATE.c.actor == org)
        if rule is not None:
            stmt = stmt.where(LATE.c.rule == rule)
        late_rows = conn.execute(stmt.order_by(LATE.c.idx).limit(limit)).all()
        by_org_rule = conn.execute(
            select(LATE.c.actor, LATE.c.rule, func.count())
            .where(LATE.c.basis == basis.name, LATE.c.idx < size)
            .group_by(LATE.c.actor, LATE.c.rule)
        ).all()
        timed = conn.execute(
            select(ACTOR.c.actor, ACTOR.c.timed, ACTOR.c.late).where(ACTOR.c.basis == basis.name, ACTOR.c.timed > 0)
        ).all()
        lost = _unaccounted(conn, now, basis)
    if org is not None:
        lost = [p for p in lost if org in (p.custodian, p.receiver)]
    per_rule: dict[str, dict[str, int]] = defaultdict(dict)
    rule_totals: dict[str, int] = defaultdict(int)
    total = 0  # the late entries the filters select, counted from the groups rather than the rows
    for actor, rule_id, count in by_org_rule:
        per_rule[actor][rule_id] = int(count)
        rule_totals[rule_id] += int(count)
        total += int(count) if org in (None, actor) and rule in (None, rule_id) else 0
    by_org = [
        OrgLateness(
            org=row.actor,
            name=names.get(row.actor),
            timed=int(row.timed),
            late=int(row.late),
            late_pct=_pct(row.late, row.timed),
            by_rule=dict(sorted(per_rule.get(row.actor, {}).items())),
        )
        for row in timed
        if org is None or row.actor == org
    ]
    return ComplianceReport(
        ruleset=basis.ruleset.version,
        ruleset_title=basis.ruleset.title,
        as_of=now,
        log_size=size,
        late_total=total,
        truncated=total > len(late_rows),
        late=[
            LateEntry(
                index=row.idx,
                org=row.actor,
                org_name=names.get(row.actor),
                rule=row.rule,
                rule_text=rules[row.rule].text if row.rule in rules else row.rule,
                type=row.type,
                pack=row.pack,
                occurred_at=row.at,
                recorded_at=row.recorded_at,
                due=row.due,
                working_days_late=row.working_days_late,
            )
            for row in late_rows
        ],
        by_org=sorted(by_org, key=lambda o: (-o.late, o.org)),
        by_rule=[
            RuleLateness(rule=r.id, text=r.text, working_days=r.working_days, late=rule_totals.get(r.id, 0))
            for r in basis.ruleset.rules
            if rule is None or r.id == rule
        ],
        unaccounted=lost,
    )


def _pct(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 2) if whole else None


def _unaccounted(conn: Connection, now: datetime, basis: Basis) -> list[UnaccountedPack]:
    """Packs in transit or retired past the rule set's limit, oldest first."""
    rows = conn.execute(
        select(PACK.c.state)
        .where(PACK.c.status.in_([status.value for status in UNACCOUNTED_STATUSES]))
        .order_by(PACK.c.status, PACK.c.code)
    )
    found = []
    for (data,) in rows:
        state = PackState.from_dict(data)
        lost = unaccounted(state, now, basis.ruleset)
        if lost is not None:
            found.append(
                UnaccountedPack(
                    pack=state.code,
                    status=state.status,
                    reason=lost.reason,
                    since=to_rfc3339(lost.since),
                    days=lost.days,
                    limit_days=lost.limit_days,
                    custodian=state.custodian,
                    receiver=state.receiver,
                )
            )
    return sorted(found, key=lambda p: (p.since, p.pack))


# -- recovery -------------------------------------------------------------------------------------------


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
    implausible: list[ImplausibleRecovery] = Field(
        default_factory=list,
        description=f"left out of the sums: masses outside 0-{MASS_KG.maximum:g} kg ({MASS_KG.reason}), "
        "from entries recorded before payloads were bounded",
    )


MAX_IMPLAUSIBLE = 1_000


def _plausible_recovery() -> ColumnElement[bool]:
    """The report rows whose masses a sum may take (events.quantities.MASS_KG; NaN and infinities, which
    compare false or, as SQLite stores NaN, null, fall outside)."""
    content, recovered = RECOVERY.c.content_kg, RECOVERY.c.recovered_kg
    return and_(content > 0, content <= MASS_KG.maximum, recovered >= 0, recovered <= content)


def recovery(ledger: Ledger, caller: Caller, *, basis: Basis = DEFAULT_BASIS) -> RecoveryReport:
    """Recovered over contained mass per recycler and element, against the 规范条件 thresholds."""
    require_regulator(caller, "read the recovery report")
    size = refresh(ledger, basis)
    with ledger.engine.connect() as conn:
        orgs = _orgs(conn)
        rows = conn.execute(
            select(
                RECOVERY.c.actor,
                RECOVERY.c.element,
                func.count(),
                func.sum(RECOVERY.c.content_kg),
                func.sum(RECOVERY.c.recovered_kg),
                func.sum(case((RECOVERY.c.below, 1), else_=0)),
            )
            .where(RECOVERY.c.basis == basis.name, RECOVERY.c.idx < size, _plausible_recovery())
            .group_by(RECOVERY.c.actor, RECOVERY.c.element)
            .order_by(RECOVERY.c.actor, RECOVERY.c.element)
        ).all()
        implausible = conn.execute(
            select(
                RECOVERY.c.idx,
                RECOVERY.c.actor,
                RECOVERY.c.pack,
                RECOVERY.c.element,
                RECOVERY.c.content_kg,
                RECOVERY.c.recovered_kg,
            )
            .where(
                RECOVERY.c.basis == basis.name,
                RECOVERY.c.idx < size,
                or_(~_plausible_recovery(), RECOVERY.c.content_kg.is_(None), RECOVERY.c.recovered_kg.is_(None)),
            )
            .order_by(RECOVERY.c.idx, RECOVERY.c.element)
            .limit(MAX_IMPLAUSIBLE)
        ).all()
    per_recycler: dict[str, list[tuple[str, int, float, float, int]]] = defaultdict(list)
    overall: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0])
    for actor, element, events, content, recovered, below in rows:
        per_recycler[actor].append((element, int(events), float(content), float(recovered), int(below)))
        total = overall[element]
        total[0] += int(events)
        total[1] += float(content)
        total[2] += float(recovered)
        total[3] += int(below)
    report_rows = []
    for actor, elements in per_recycler.items():
        org = orgs.get(actor)
        report_rows += _recovery_rows(actor, org, elements, basis.recovery_version)
    totals = _recovery_rows(
        "*", None, [(e, int(t[0]), t[1], t[2], int(t[3])) for e, t in sorted(overall.items())], basis.recovery_version
    )
    return RecoveryReport(
        thresholds_version=basis.recovery_version,
        thresholds=RECOVERY_THRESHOLDS[basis.recovery_version],
        log_size=size,
        rows=report_rows,
        totals=totals,
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
    actor: str, org: Org | None, elements: Sequence[tuple[str, int, float, float, int]], version: str
) -> list[RecoveryRow]:
    counts = {element: (events, below) for element, events, _, _, below in elements}
    rates = recovery_rates(
        {element: content for element, _, content, _, _ in elements},
        {element: recovered for element, _, _, recovered, _ in elements},
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
        )
        for rate in rates
    ]


# -- organisations --------------------------------------------------------------------------------------


class OrgStats(View):
    org: str
    name: str
    roles: list[str]
    whitelisted: bool
    entries: int = Field(description="entries the organisation posted")
    timed: int = Field(description="of them, entries a reporting deadline applies to")
    late: int
    late_pct: float | None
    custody: int = Field(description="packs in its custody now")
    unaccounted: int = Field(description="packs in its custody that are 流向不明")
    recycled: int = Field(description="`recycled` entries it posted")
    recycled_below: int = Field(description="of them, entries with an element below its threshold")


class OrganisationsReport(View):
    ruleset: str
    thresholds_version: str
    as_of: datetime
    log_size: int
    orgs: list[OrgStats]


def organisations(ledger: Ledger, caller: Caller, *, basis: Basis = DEFAULT_BASIS) -> OrganisationsReport:
    """Per organisation: entries, timeliness, custody, 流向不明 and recycling."""
    require_regulator(caller, "read the organisation statistics")
    size = refresh(ledger, basis)
    now = ledger.clock()
    with ledger.engine.connect() as conn:
        orgs = _orgs(conn)
        activity = {
            row.actor: row
            for row in conn.execute(
                select(ACTOR.c.actor, ACTOR.c.entries, ACTOR.c.timed, ACTOR.c.late).where(ACTOR.c.basis == basis.name)
            )
        }
        custody: dict[str, int] = {
            row[0]: int(row[1])
            for row in conn.execute(select(PACK.c.custodian, func.count()).group_by(PACK.c.custodian))
        }
        recycled = {
            row[0]: (int(row[1]), int(row[2]))
            for row in conn.execute(
                select(
                    RECOVERY.c.actor,
                    func.count(distinct(RECOVERY.c.idx)),
                    func.count(distinct(case((RECOVERY.c.below, RECOVERY.c.idx), else_=None))),
                )
                .where(RECOVERY.c.basis == basis.name, RECOVERY.c.idx < size)
                .group_by(RECOVERY.c.actor)
            )
        }
        lost: dict[str, int] = defaultdict(int)
        for pack in _unaccounted(conn, now, basis):
            lost[pack.custodian] += 1
    stats = []
    for org_id, org in sorted(orgs.items()):
        row = activity.get(org_id)
        entries, timed, late = (int(row.entries), int(row.timed), int(row.late)) if row is not None else (0, 0, 0)
        stats.append(
            OrgStats(
                org=org_id,
                name=org.name,
                roles=sorted(org.roles),
                whitelisted=org.whitelisted,
                entries=entries,
                timed=timed,
                late=late,
                late_pct=_pct(late, timed),
                custody=int(custody.get(org_id, 0)),
                unaccounted=lost.get(org_id, 0),
                recycled=recycled.get(org_id, (0, 0))[0],
                recycled_below=recycled.get(org_id, (0, 0))[1],
            )
        )
    return OrganisationsReport(
        ruleset=basis.ruleset.version,
        thresholds_version=basis.recovery_version,
        as_of=now,
        log_size=size,
        orgs=stats,
    )


# -- CSV ------------------------------------------------------------------------------------------------


def csv_text(model: type[BaseModel], rows: Sequence[BaseModel]) -> str:
    """Rows of `model` as CSV with a header line of its field names, UTF-8 with a byte-order mark so
    spreadsheet programs read the Chinese names right. Lists and mappings are written `a;b`, `k=v;…`."""
    fields = list(model.model_fields)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in fields])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ";".join(f"{key}={value[key]}" for key in value)
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value  # text a spreadsheet would run as a formula (names come from outside)
    return str(value)


_FORMULA_STARTS = frozenset("=+-@\t\r")
