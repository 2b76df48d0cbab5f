"""The report tables: what the regulator's reports need from the whole log, derived once per entry.

Lateness, per-organisation counts, events per day and recovery rates are functions of immutable entries
(and of the organisations' roles, read from the registry when a chunk is counted: a role changed by a
registry entry since is not applied to entries counted before it). So `refresh` reads only the battery
events appended since it last ran, in index order, and adds what they contribute:

    report_late      one row per late entry (events.deadlines.lateness)
    report_actor     per organisation: entries posted, entries a deadline applies to, late entries
    report_day       per day (China time) the events happened and organisation: entries, late entries
    report_recovery  per `recycled` entry and element: content, recovered, below the threshold

Every row carries the `basis` it was computed under (the deadline rule set, the recovery-threshold version and
the fingerprint of the shipped working-day calendar), with one cursor per basis: a new rule version or shipped
calendar gets its own rows from index 0, the old rows stay as they were. Lateness is counted with the calendar
in force over the entries counted (ledger.usecases.calendar.in_force: the shipped years with the imports among
them); when a refresh finds a calendar import its rows do not include, it clears the basis' rows and counts
again from index 0 (ledger.store.reportreset), so a report always counts with the imports among the entries it
counts. Each chunk is one transaction holding the cursor row's lock, so concurrent refreshes never count an
entry twice, and a crash loses nothing but the chunk in progress.

`corrected` entries are counted as the entries they are, and they do not change the lateness of the entry
they correct (the record is judged as it was reported). They do change its masses: when a refresh counts a
correction of a `recycled` entry (always after its target, as it reads in index order), the target's
`report_recovery` rows are computed again from its values after that correction (the `correction`
projection's row of that index: ledger.store.correctionrows), and the reports mark them corrected.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from events import recovery
from events.calendar import Calendar, shipped
from events.deadlines import DEFAULT_RULESET, RULESETS, Late, RuleSet, applicable_rule, lateness
from events.errors import InputError
from events.orgs import Org
from events.timestamps import china_date, from_rfc3339
from ledger.log import Ledger
from ledger.store import correctionrows, registry, reportreset, reportrows
from ledger.store.correctionrows import CorrectionRow
from ledger.store.db import write_connection
from ledger.store.reportrows import ElementRow, EntryBody, EntryFacts, LateRow
from ledger.usecases import calendar as calendars

CHUNK = 5_000  # entries per transaction: short enough not to hold up appends on SQLite


@dataclass(frozen=True)
class Basis:
    """The rule versions report rows are computed under."""

    ruleset: RuleSet = DEFAULT_RULESET
    recovery_version: str = recovery.DEFAULT_VERSION

    @property
    def name(self) -> str:
        return f"{self.ruleset.version}|{self.recovery_version}|cal-{shipped().fingerprint[:8]}"

    @classmethod
    def of(cls, ruleset: str | None = None, recovery_version: str | None = None) -> Basis:
        chosen = DEFAULT_RULESET if ruleset is None else RULESETS.get(ruleset)
        if chosen is None:
            raise InputError(
                f"unknown deadline rule set {str(ruleset)[:40]!r}; known: {', '.join(sorted(RULESETS))}",
                code="invalid_filter",
            )
        version = recovery_version or recovery.DEFAULT_VERSION
        if version not in recovery.RECOVERY_THRESHOLDS:
            known = ", ".join(sorted(recovery.RECOVERY_THRESHOLDS))
            raise InputError(f"unknown recovery rule version {version!r}; known: {known}", code="invalid_filter")
        return cls(chosen, version)


DEFAULT_BASIS = Basis()


@dataclass
class _Tally:
    """What one chunk of entries adds to the report tables."""

    late: list[LateRow] = field(default_factory=list)
    actors: dict[str, Counter[str]] = field(default_factory=dict)
    days: dict[tuple[date, str], Counter[str]] = field(default_factory=dict)
    recovery: list[ElementRow] = field(default_factory=list)

    def count(self, actor: str, day: date, *, timed: bool, late: bool) -> None:
        counts = self.actors.setdefault(actor, Counter())
        counts["entries"] += 1
        counts["timed"] += timed
        counts["late"] += late
        daily = self.days.setdefault((day, actor), Counter())
        daily["entries"] += 1
        daily["late"] += late


def refresh(ledger: Ledger, basis: Basis = DEFAULT_BASIS, *, chunk: int = CHUNK) -> int:
    """Bring the report tables of `basis` up to (at least) the log's size when called; answer that size.

    Entries appended meanwhile are left to the next refresh, so a busy log cannot keep a report waiting.
    """
    marker = reportreset.calendar_cursor(basis.name)
    with ledger.engine.connect() as conn:  # the common case, already up to date, takes no write lock
        position = reportrows.cursor_position(conn, basis.name)
        target = reportrows.log_size(conn)
        imported = calendars.imports(conn, target)
        counted = reportrows.cursor_position(conn, marker)
    # which calendar the rows count with: the index after the latest import among them (0: the shipped one)
    mark = imported[-1][0] + 1 if imported else 0
    calendar = calendars.laid_over(imported)
    if position is None or counted != mark:
        with write_connection(ledger.engine) as conn, conn.begin():
            reportrows.ensure_cursor(conn, basis.name)
            reportrows.ensure_cursor(conn, marker)
            reportrows.lock_cursor(conn, basis.name)
            # Counted with an older calendar: start over. Imports only ever follow each other, so a mark
            # above ours is a newer calendar that a concurrent refresh counts with; we leave it to that one.
            if (reportrows.cursor_position(conn, marker) or 0) < mark:
                reportreset.clear_basis(conn, basis.name)
                reportrows.move_cursor(conn, marker, mark)
            position = None
    orgs: dict[str, Org] = {}
    memo: dict[tuple[str, str, date, date], Late | None] = {}
    while position is None or position < target:
        with write_connection(ledger.engine) as conn, conn.begin():
            position = reportrows.lock_cursor(conn, basis.name)
            if position >= target:  # another refresh got there first
                break
            if reportrows.cursor_position(conn, marker) != mark:  # a later refresh met a newer import: its turn
                break
            end = min(target, position + chunk)
            entries = reportrows.entry_facts(conn, position, end)
            if any(entry.actor not in orgs for entry in entries):
                orgs = {org.id: org for org in registry.list_orgs(conn)}
            recycled = reportrows.entry_bodies(conn, [e.idx for e in entries if e.type == "recycled"])
            fixes = correctionrows.at(conn, [e.idx for e in entries if e.type == "corrected"], "recycled")
            tally = _tally(entries, recycled, orgs, basis, calendar, memo)
            tally.recovery = _corrected(
                tally.recovery, fixes, reportrows.entry_bodies(conn, [f.target for f in fixes]), basis
            )
            reportrows.remove_recovery(conn, basis.name, [f.target for f in fixes])
            reportrows.add_rows(conn, tally.late, tally.recovery)
            reportrows.add_actor_counts(conn, basis.name, tally.actors)
            reportrows.add_day_counts(conn, basis.name, tally.days)
            reportrows.move_cursor(conn, basis.name, end)
            position = end
    return target


def _tally(
    entries: Sequence[EntryFacts],
    recycled: Sequence[EntryBody],
    orgs: dict[str, Org],
    basis: Basis,
    calendar: Calendar,
    memo: dict[tuple[str, str, date, date], Late | None],
) -> _Tally:
    tally = _Tally()
    for entry in entries:
        actor = orgs[entry.actor]
        occurred = from_rfc3339(entry.at)
        rule = applicable_rule(entry.type, actor, basis.ruleset)
        late = None
        if rule is not None:
            recorded = from_rfc3339(entry.recorded_at)
            days = (china_date(occurred), china_date(recorded))
            # Working days never outnumber calendar days: within the rule's count in calendar days, the
            # entry is on time without counting the calendar. Past it, lateness depends only on the rule
            # and the two China dates, so each (type, actor, dates) is counted once.
            if (days[1] - days[0]).days > rule.working_days:
                key = (entry.type, entry.actor, *days)
                if key not in memo:
                    memo[key] = lateness(entry.type, actor, occurred, recorded, basis.ruleset, calendar)
                late = memo[key]
        if late is not None:
            tally.late.append(
                LateRow(
                    basis=basis.name,
                    idx=entry.idx,
                    actor=entry.actor,
                    pack=entry.pack,
                    type=entry.type,
                    rule=late.rule,
                    at=entry.at,
                    recorded_at=entry.recorded_at,
                    due=late.due,
                    working_days_late=late.working_days_late,
                )
            )
        tally.count(entry.actor, china_date(occurred), timed=rule is not None, late=late is not None)
    for body in recycled:
        tally.recovery += _elements(body, json.loads(body.body)["claim"]["data"], basis)
    return tally


def _elements(entry: EntryBody, data: dict[str, Any], basis: Basis) -> list[ElementRow]:
    """The recovery rows of a `recycled` entry whose values are `data`."""
    return [
        ElementRow(
            basis=basis.name,
            idx=entry.idx,
            element=rate.element,
            actor=entry.actor,
            pack=entry.pack,
            content_kg=rate.content_kg,
            recovered_kg=rate.recovered_kg,
            below=rate.below,
        )
        for rate in recovery.recovery_rates(data["content_kg"], data["recovered_kg"], basis.recovery_version)
    ]


def _corrected(
    rows: list[ElementRow], fixes: Sequence[CorrectionRow], targets: Sequence[EntryBody], basis: Basis
) -> list[ElementRow]:
    """`rows` with the rows of each corrected `recycled` entry computed again from its corrected values (the
    latest correction counted last)."""
    if not fixes:
        return rows
    by_index = {entry.idx: entry for entry in targets}
    replaced: dict[int, list[ElementRow]] = {}
    for fix in fixes:
        replaced[fix.target] = _elements(by_index[fix.target], fix.data, basis)
    return [row for row in rows if row.idx not in replaced] + [row for new in replaced.values() for row in new]
