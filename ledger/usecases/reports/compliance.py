"""Compliance: late reports (per entry, per organisation, per rule) from the report tables, and the packs
whose whereabouts are unknown (流向不明: in transit or retired past the rule set's limit)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from pydantic import Field

from events.deadlines import UNACCOUNTED_STATUSES, unaccounted
from events.errors import InputError
from events.orgs import check_org_filter
from events.state import PackState
from events.timestamps import china_date, from_rfc3339, to_rfc3339
from ledger.log import Ledger
from ledger.store import packrows, registry, reportrows
from ledger.usecases import calendar as calendars
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.report_index import DEFAULT_BASIS, Basis, refresh
from ledger.usecases.views import View

MAX_LATE = 100_000

UNACCOUNTED = [status.value for status in UNACCOUNTED_STATUSES]  # 流向不明 candidates (events.deadlines)


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
    provisional: bool = Field(
        description="counted Monday to Friday through a year without calendar data: may change (docs/calendar.md)"
    )


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
        names = {o.id: o.name for o in registry.list_orgs(conn)}
        late_rows = reportrows.late_rows(conn, basis.name, size, actor=org, rule=rule, limit=limit)
        groups = reportrows.late_groups(conn, basis.name, size)
        timed = reportrows.actor_counts(conn, basis.name, timed_only=True)
        lost = unaccounted_packs(packrows.states_with_status(conn, UNACCOUNTED), now, basis)
        calendar = calendars.in_force(conn, size)
    if org is not None:
        lost = [p for p in lost if org in (p.custodian, p.receiver)]
    per_rule: dict[str, dict[str, int]] = defaultdict(dict)
    rule_totals: dict[str, int] = defaultdict(int)
    total = 0  # the late entries the filters select, counted from the groups rather than the rows
    for group in groups:
        per_rule[group.actor][group.rule] = group.late
        rule_totals[group.rule] += group.late
        total += group.late if org in (None, group.actor) and rule in (None, group.rule) else 0
    by_org = [
        OrgLateness(
            org=row.actor,
            name=names.get(row.actor),
            timed=row.timed,
            late=row.late,
            late_pct=late_pct(row.late, row.timed),
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
                provisional=calendar.provisional(
                    china_date(from_rfc3339(row.at)), china_date(from_rfc3339(row.recorded_at))
                ),
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


def late_pct(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 2) if whole else None


def unaccounted_packs(states: Iterable[PackState], now: datetime, basis: Basis) -> list[UnaccountedPack]:
    """Of `states`, the packs in transit or retired past the rule set's limit, oldest first."""
    found = []
    for state in states:
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
