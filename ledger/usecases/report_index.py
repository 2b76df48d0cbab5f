"""The report tables: what the regulator's reports need from the whole log, derived once per entry.

Lateness, per-organisation counts, events per day and recovery rates are functions of immutable entries
(and of the organisations' roles, which never change). So `refresh` reads only the entries appended
since it last ran, in index order, and adds what they contribute:

    report_late      one row per late entry (events.deadlines.lateness)
    report_actor     per organisation: entries posted, entries a deadline applies to, late entries
    report_day       per day (China time) the events happened: entries, late entries
    report_recovery  per `recycled` entry and element: content, recovered, below the threshold

Every row carries the `basis` it was computed under (the deadline rule set and the recovery-threshold
version), with one cursor per basis: a new rule version gets its own rows from index 0, the old rows
stay as they were. Each chunk is one transaction holding the cursor row's lock, so concurrent
refreshes never count an entry twice, and a crash loses nothing but the chunk in progress.

`corrected` entries are counted as the entries they are; they do not change the lateness or the masses
of the entry they correct (the record is judged as it was reported).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from events import recovery
from events.deadlines import DEFAULT_RULESET, RULESETS, Late, RuleSet, applicable_rule, lateness
from events.errors import InputError
from events.orgs import Org
from events.timestamps import china_date, from_rfc3339
from ledger.log import Ledger
from ledger.store import registry
from ledger.store.db import is_sqlite, write_connection
from ledger.store.schema import Entry, LogHead, ReportActor, ReportCursor, ReportDay, ReportLate, ReportRecovery

ENTRY = Entry.__table__  # type: ignore[attr-defined]
HEAD = LogHead.__table__  # type: ignore[attr-defined]
CURSOR = ReportCursor.__table__  # type: ignore[attr-defined]
LATE = ReportLate.__table__  # type: ignore[attr-defined]
ACTOR = ReportActor.__table__  # type: ignore[attr-defined]
DAY = ReportDay.__table__  # type: ignore[attr-defined]
RECOVERY = ReportRecovery.__table__  # type: ignore[attr-defined]

CHUNK = 5_000  # entries per transaction: short enough not to hold up appends on SQLite


@dataclass(frozen=True)
class Basis:
    """The rule versions report rows are computed under."""

    ruleset: RuleSet = DEFAULT_RULESET
    recovery_version: str = recovery.DEFAULT_VERSION

    @property
    def name(self) -> str:
        return f"{self.ruleset.version}|{self.recovery_version}"

    @classmethod
    def of(cls, ruleset: str | None = None, recovery_version: str | None = None) -> Basis:
        chosen = DEFAULT_RULESET if ruleset is None else RULESETS.get(ruleset)
        if chosen is None:
            raise InputError(
                f"unknown deadline rule set {ruleset!r}; known: {', '.join(sorted(RULESETS))}", code="invalid_filter"
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

    late: list[dict[str, Any]] = field(default_factory=list)
    actors: dict[str, Counter[str]] = field(default_factory=dict)
    days: dict[date, Counter[str]] = field(default_factory=dict)
    recovery: list[dict[str, Any]] = field(default_factory=list)

    def count(self, actor: str, day: date, *, timed: bool, late: bool) -> None:
        counts = self.actors.setdefault(actor, Counter())
        counts["entries"] += 1
        counts["timed"] += timed
        counts["late"] += late
        daily = self.days.setdefault(day, Counter())
        daily["entries"] += 1
        daily["late"] += late


def refresh(ledger: Ledger, basis: Basis = DEFAULT_BASIS, *, chunk: int = CHUNK) -> int:
    """Bring the report tables of `basis` up to (at least) the log's size when called; answer that size.

    Entries appended meanwhile are left to the next refresh, so a busy log cannot keep a report waiting.
    """
    with ledger.engine.connect() as conn:  # the common case, already up to date, takes no write lock
        position = conn.execute(select(CURSOR.c.position).where(CURSOR.c.basis == basis.name)).scalar()
        target = int(conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one())
    if position is None:
        _ensure_cursor(ledger, basis)
    orgs: dict[str, Org] = {}
    memo: dict[tuple[str, str, date, date], Late | None] = {}
    while position is None or position < target:
        with write_connection(ledger.engine) as conn, conn.begin():
            position = _lock_cursor(conn, basis)
            if position >= target:  # another refresh got there first
                break
            end = min(target, position + chunk)
            rows = conn.execute(
                select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.actor, ENTRY.c.type, ENTRY.c.at, ENTRY.c.recorded_at)
                .where(ENTRY.c.idx >= position, ENTRY.c.idx < end)
                .order_by(ENTRY.c.idx)
            ).all()
            if any(row.actor not in orgs for row in rows):
                orgs = {org.id: org for org in registry.list_orgs(conn)}
            _write(conn, basis, _tally(conn, rows, orgs, basis, memo))
            conn.execute(update(CURSOR).where(CURSOR.c.basis == basis.name).values(position=end))
            position = end
    return target


def _ensure_cursor(ledger: Ledger, basis: Basis) -> None:
    with write_connection(ledger.engine) as conn, conn.begin():
        dialect = sqlite if is_sqlite(ledger.engine) else postgresql
        conn.execute(dialect.insert(CURSOR).values(basis=basis.name, position=0).on_conflict_do_nothing())


def _lock_cursor(conn: Connection, basis: Basis) -> int:
    """The cursor's position, locked until the transaction ends (SQLite: BEGIN IMMEDIATE already holds
    the database's write lock)."""
    stmt = select(CURSOR.c.position).where(CURSOR.c.basis == basis.name)
    if conn.dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    return int(conn.execute(stmt).scalar_one())


def _tally(
    conn: Connection,
    rows: Sequence[Row[Any, Any, Any, Any, Any, Any]],
    orgs: dict[str, Org],
    basis: Basis,
    memo: dict[tuple[str, str, date, date], Late | None],
) -> _Tally:
    tally = _Tally()
    recycled: list[int] = []
    for row in rows:
        idx, pack, actor_id, event_type, at_text, recorded_text = row
        actor = orgs[actor_id]
        occurred = from_rfc3339(at_text)
        rule = applicable_rule(event_type, actor, basis.ruleset)
        late = None
        if rule is not None:
            recorded = from_rfc3339(recorded_text)
            days = (china_date(occurred), china_date(recorded))
            # Working days never outnumber calendar days: within the rule's count in calendar days, the
            # entry is on time without counting the calendar. Past it, lateness depends only on the rule
            # and the two China dates, so each (type, actor, dates) is counted once.
            if (days[1] - days[0]).days > rule.working_days:
                key = (event_type, actor_id, *days)
                if key not in memo:
                    memo[key] = lateness(event_type, actor, occurred, recorded, basis.ruleset)
                late = memo[key]
        if late is not None:
            tally.late.append(
                {
                    "basis": basis.name,
                    "idx": idx,
                    "actor": actor_id,
                    "pack": pack,
                    "type": event_type,
                    "rule": late.rule,
                    "at": at_text,
                    "recorded_at": recorded_text,
                    "due": late.due,
                    "working_days_late": late.working_days_late,
                }
            )
        tally.count(actor_id, china_date(occurred), timed=rule is not None, late=late is not None)
        if event_type == "recycled":
            recycled.append(idx)
    if recycled:
        stmt = select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.actor, ENTRY.c.body).where(ENTRY.c.idx.in_(recycled))
        bodies = conn.execute(stmt)
        for idx, pack, actor_id, body in bodies:
            data = json.loads(body)["claim"]["data"]
            for rate in recovery.recovery_rates(data["content_kg"], data["recovered_kg"], basis.recovery_version):
                tally.recovery.append(
                    {
                        "basis": basis.name,
                        "idx": idx,
                        "element": rate.element,
                        "actor": actor_id,
                        "pack": pack,
                        "content_kg": rate.content_kg,
                        "recovered_kg": rate.recovered_kg,
                        "below": rate.below,
                    }
                )
    return tally


def _write(conn: Connection, basis: Basis, tally: _Tally) -> None:
    if tally.late:
        conn.execute(LATE.insert(), tally.late)
    if tally.recovery:
        conn.execute(RECOVERY.insert(), tally.recovery)
    _add_counts(conn, ACTOR, "actor", basis, tally.actors, ("entries", "timed", "late"))
    _add_counts(conn, DAY, "day", basis, tally.days, ("entries", "late"))


def _add_counts(
    conn: Connection,
    table: Table,
    key: str,
    basis: Basis,
    counts: Mapping[Any, Counter[str]],
    columns: tuple[str, ...],
) -> None:
    """Add `counts` to the rows of `table` keyed by (basis, key), creating missing rows (the cursor's
    lock makes this read-then-write safe)."""
    if not counts:
        return
    key_column = table.c[key]
    keys = list(counts)
    existing: dict[Any, tuple[int, ...]] = {}
    for start in range(0, len(keys), 500):
        stmt = select(key_column, *(table.c[name] for name in columns)).where(
            table.c.basis == basis.name, key_column.in_(keys[start : start + 500])
        )
        existing.update({row[0]: tuple(row[1:]) for row in conn.execute(stmt)})
    inserts = []
    for value, added in counts.items():
        if value in existing:
            totals = {name: old + added[name] for name, old in zip(columns, existing[value], strict=True)}
            conn.execute(update(table).where(table.c.basis == basis.name, key_column == value).values(**totals))
        else:
            inserts.append({"basis": basis.name, key: value, **{name: added[name] for name in columns}})
    if inserts:
        conn.execute(table.insert(), inserts)
