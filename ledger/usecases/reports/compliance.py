"""Compliance: late reports (per entry, per organisation, per rule) from the report tables, and the packs
whose whereabouts are unknown (流向不明, every reason of events.whereabouts)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from pydantic import Field

from events import extras
from events.errors import InputError
from events.lifecycle import Status
from events.orgs import check_org_filter
from events.regions import OutOfJurisdiction
from events.timestamps import china_date, from_rfc3339, to_rfc3339
from events.whereabouts import (
    CANDIDATE_STATUSES,
    HELD_STATUSES,
    REASON_TEXT,
    Custody,
    Reason,
    answerable,
    displacements,
    may_hold_retired,
    rules_for,
    whereabouts,
)
from ledger.log import Ledger
from ledger.store import packrows, registry, reportrows, whereaboutsrows
from ledger.store.db import Connection
from ledger.usecases import calendar as calendars
from ledger.usecases import places
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.report_index import DEFAULT_BASIS, Basis, refresh
from ledger.usecases.views import View

MAX_LATE = 100_000

# 流向不明 candidates (events.whereabouts): every pack in these statuses, and in DONE those held by doubtful orgs
DONE = [Status.DISMANTLED.value, Status.RECYCLED.value, Status.IN_LOT.value]
UNACCOUNTED = [status.value for status in CANDIDATE_STATUSES if status.value not in DONE]


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
    reason: str = Field(
        description="held-by-unauthorised, scrapped-not-handed-on, retired-not-collected, shipped-not-received, "
        "idle-in-stock, idle-at-collector or displaced-in-vehicle (docs/lifecycle.md)"
    )
    reason_zh: str
    reason_en: str
    since: str = Field(description="when the reason's clock started (for held-by-unauthorised: the receipt)")
    days: int
    limit_days: int = Field(description="the rule's limit; 0: listed at once")
    limit_unit: str = Field(description="days or working_days")
    custodian: str
    receiver: str | None
    owner: str = Field(
        description="the pack's owner (所有权人, docs/ownership.md), who answers for it where the rules say so",
    )
    answerable: str = Field(
        description="who answers for it (docs/ownership.md): the custodian, or for the end-of-life reasons the "
        "rules list (events.whereabouts owner_answers) an owner by transfer, such as a lessor",
    )


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
    unaccounted_by_reason: dict[str, int] = Field(description="packs in `unaccounted` per reason (every reason)")
    region: str | None = Field(
        default=None, description="the region the report covers (GB/T 2260; docs/regions.md); null: everywhere"
    )


def compliance(
    ledger: Ledger,
    caller: Caller,
    *,
    org: str | None = None,
    rule: str | None = None,
    limit: int = MAX_LATE,
    basis: Basis = DEFAULT_BASIS,
    region: str | None = None,
    rules: str | None = None,
) -> ComplianceReport:
    """Late reports (per entry, per organisation, per rule) and packs whose whereabouts are unknown; with a
    region (or for a region-scoped regulator), the late reports of the organisations located in it and the
    packs that touch it (ledger.usecases.places). `rules`: a deadline rule version by name (the report's
    `?rules=`), in place of `basis`'s."""
    require_regulator(caller, "read the compliance report")
    check_org_filter("org", org)
    if rules is not None:
        basis = Basis.of(rules, basis.recovery_version)
    known = {r.id: r for r in basis.ruleset.rules}
    if rule is not None and rule not in known:
        raise InputError(f"unknown rule {rule!r}; rules are: {', '.join(known)}", code="invalid_filter")
    if not 1 <= limit <= MAX_LATE:
        raise InputError(f"limit must be 1 to {MAX_LATE}, found {limit}", code="invalid_filter")
    size = refresh(ledger, basis)
    now = ledger.clock()
    with ledger.engine.connect() as conn:
        where = places.place(conn, caller, region)
        if org is not None and where is not None and caller.jurisdiction is not None and not where.holds(org):
            raise OutOfJurisdiction(
                f"organisation {org!r} is not located in your jurisdiction, {where.region} ({where.name('en')})"
            )
        actors = sorted(where.orgs) if where is not None else None
        names = {o.id: o.name for o in registry.list_orgs(conn)}
        late_rows = reportrows.late_rows(conn, basis.name, size, actor=org, actors=actors, rule=rule, limit=limit)
        groups = [g for g in reportrows.late_groups(conn, basis.name, size) if where is None or where.holds(g.actor)]
        timed = [
            t
            for t in reportrows.actor_counts(conn, basis.name, timed_only=True)
            if where is None or where.holds(t.actor)
        ]
        lost = unaccounted_packs(conn, now, basis)
        if where is not None:
            touching = packrows.codes_touching(conn, [p.pack for p in lost], where.area)
            lost = [p for p in lost if p.pack in touching]
        calendar = calendars.in_force(conn, size)
    if org is not None:
        lost = [p for p in lost if org in (p.custodian, p.receiver, p.answerable)]
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
                rule_text=known[row.rule].text if row.rule in known else row.rule,
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
        unaccounted_by_reason={reason.value: sum(p.reason == reason for p in lost) for reason in Reason},
        region=where.region if where is not None else None,
    )


def late_pct(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 2) if whole else None


def unaccounted_packs(conn: Connection, now: datetime, basis: Basis) -> list[UnaccountedPack]:
    """The packs that are 流向不明 at `now` under the basis's rules, oldest first; each organisation's
    whitelist status as it stood on the day it received the pack."""
    rules = rules_for(basis.ruleset)
    records = {record.id: record for record in registry.org_records(conn)}
    # the custody of a retired pack matters while it is `retired`, and after (dismantled, recycled) only if its
    # custodian may not have been allowed to hold it when it received it: not a keeper now, or its whitelist
    # status has changed; the packs of the others, most of them, are not even read
    doubtful = [o.id for o in records.values() if o.whitelist or not may_hold_retired(o.at(now), rules)]
    # of the packs in a vehicle (most of a province's), only those sharing their vehicle with another can be
    # displaced: the others are not read
    states = (
        packrows.states_with_status(conn, [s for s in UNACCOUNTED if s != Status.IN_VEHICLE])
        + packrows.states_sharing_a_vehicle(conn, Status.IN_VEHICLE)
        + whereaboutsrows.states_held_by(conn, DONE, doubtful)
    )
    held = [s for s in states if s.status in HELD_STATUSES and extras.RETIRED_AT in s.extra]
    receipts = whereaboutsrows.latest_of_types(conn, [s.code for s in held], ("received", "found"))
    retirements = whereaboutsrows.latest_of_types(conn, [s.code for s in states if s.status == "retired"], ("retired",))
    displaced = displacements(states)
    found = []
    for state in states:
        custody = None
        receipt = receipts.get(state.code)
        if receipt is not None and extras.RETIRED_AT in state.extra:
            claim = receipt["claim"]
            holder = claim["data"]["custodian"] if claim["type"] == "found" else claim["actor"]
            at = from_rfc3339(claim["at"])
            if holder == state.custodian and holder in records and at >= from_rfc3339(state.extra[extras.RETIRED_AT]):
                custody = Custody(records[holder].at(at), at)
        retired = retirements.get(state.code, {}).get("claim", {})
        retired_by = records.get(retired.get("actor", ""))
        lost = whereabouts(
            state,
            now,
            custody=custody,
            retired_reason=retired.get("data", {}).get("reason"),
            retired_by=retired_by.at(from_rfc3339(retired["at"])) if retired_by is not None else None,
            displaced_by=displaced.get(state.code),
            rules=rules,
        )
        if lost is not None:
            zh, en = REASON_TEXT[lost.reason]
            found.append(
                UnaccountedPack(
                    pack=state.code,
                    status=state.status,
                    reason=lost.reason.value,
                    reason_zh=zh,
                    reason_en=en,
                    since=to_rfc3339(lost.since),
                    days=lost.days,
                    limit_days=lost.limit_days,
                    limit_unit="working_days" if lost.working_days else "days",
                    custodian=state.custodian,
                    receiver=state.receiver,
                    owner=state.owner,
                    answerable=answerable(state, lost.reason, rules),
                )
            )
    return sorted(found, key=lambda p: (p.since, p.pack))
