"""The report tables (ledger.usecases.report_index fills them, the reports read them): their cursor, the
entries a refresh reads, the rows and counts it adds, and the sums the reports make of them.

Every row is keyed by a `basis` (the name of the rule versions it was computed under); reads of rows
derived from entries take `size`, the log size the report counts, so rows a concurrent refresh adds past
it are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Table, and_, case, distinct, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from events.registry import REGISTRY_TYPES
from ledger.store.correctionrows import current_values
from ledger.store.schema import ENTRY, HEAD, REPORT_ACTOR, REPORT_CURSOR, REPORT_DAY, REPORT_LATE, REPORT_RECOVERY

_IN_CHUNK = 500  # values in one IN (…)


# -- records --------------------------------------------------------------------------------------------


class EntryFacts(NamedTuple):
    """What the report tables need of an entry besides its payload."""

    idx: int
    pack: str
    actor: str
    type: str
    at: str
    recorded_at: str


class EntryBody(NamedTuple):
    idx: int
    pack: str
    actor: str
    body: bytes


@dataclass(frozen=True)
class LateRow:
    """One entry recorded after its reporting deadline (report_late)."""

    basis: str
    idx: int
    actor: str
    pack: str
    type: str
    rule: str
    at: str
    recorded_at: str
    due: date
    working_days_late: int


@dataclass(frozen=True)
class ElementRow:
    """One element of one `recycled` entry (report_recovery)."""

    basis: str
    idx: int
    element: str
    actor: str
    pack: str
    content_kg: float
    recovered_kg: float
    below: bool


class ActorCounts(NamedTuple):
    actor: str
    entries: int
    timed: int
    late: int


class DayCounts(NamedTuple):
    day: date
    entries: int
    late: int


class LateGroup(NamedTuple):
    actor: str
    rule: str
    late: int  # entries


class ElementSum(NamedTuple):
    """One recycler's plausible rows of one element, summed."""

    actor: str
    element: str
    events: int
    content_kg: float
    recovered_kg: float
    below: int  # rows whose own rate is below the threshold


class RecycledCount(NamedTuple):
    actor: str
    entries: int  # `recycled` entries
    below: int  # of them, entries with an element below its threshold


# -- the cursor and the entries a refresh reads ---------------------------------------------------------


def cursor_position(conn: Connection, basis: str) -> int | None:
    """How far the rows of `basis` have read the log (None: never)."""
    position = conn.execute(select(REPORT_CURSOR.c.position).where(REPORT_CURSOR.c.basis == basis)).scalar()
    return None if position is None else int(position)


def log_size(conn: Connection) -> int:
    return int(conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one())


def ensure_cursor(conn: Connection, basis: str) -> None:
    """A cursor at 0 for `basis` unless it has one (concurrent callers create one)."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(REPORT_CURSOR).values(basis=basis, position=0).on_conflict_do_nothing())


def lock_cursor(conn: Connection, basis: str) -> int:
    """The cursor's position, locked until the transaction ends (SQLite: BEGIN IMMEDIATE already holds
    the database's write lock)."""
    stmt = select(REPORT_CURSOR.c.position).where(REPORT_CURSOR.c.basis == basis)
    if conn.dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    return int(conn.execute(stmt).scalar_one())


def move_cursor(conn: Connection, basis: str, position: int) -> None:
    conn.execute(update(REPORT_CURSOR).where(REPORT_CURSOR.c.basis == basis).values(position=position))


def entry_facts(conn: Connection, start: int, end: int) -> list[EntryFacts]:
    """The battery events among entries [start, end), in index order (registry entries are not reported on)."""
    rows = conn.execute(
        select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.actor, ENTRY.c.type, ENTRY.c.at, ENTRY.c.recorded_at)
        .where(ENTRY.c.idx >= start, ENTRY.c.idx < end, ENTRY.c.type.not_in(sorted(REGISTRY_TYPES)))
        .order_by(ENTRY.c.idx)
    )
    return [EntryFacts(*row) for row in rows]


def entry_bodies(conn: Connection, indexes: Sequence[int]) -> list[EntryBody]:
    """The stored bytes of the entries at `indexes`, in index order."""
    found: list[EntryBody] = []
    for start in range(0, len(indexes), _IN_CHUNK):
        stmt = select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.actor, ENTRY.c.body).where(
            ENTRY.c.idx.in_(indexes[start : start + _IN_CHUNK])
        )
        found += [EntryBody(*row) for row in conn.execute(stmt)]
    return sorted(found)


# -- writing --------------------------------------------------------------------------------------------


def add_rows(conn: Connection, late: Sequence[LateRow], elements: Sequence[ElementRow]) -> None:
    if late:
        conn.execute(REPORT_LATE.insert(), [asdict(row) for row in late])
    if elements:
        conn.execute(REPORT_RECOVERY.insert(), [asdict(row) for row in elements])


def remove_recovery(conn: Connection, basis: str, indexes: Sequence[int]) -> None:
    """Remove the recovery rows of the `recycled` entries at `indexes` (to count their corrected values)."""
    for start in range(0, len(indexes), _IN_CHUNK):
        chunk = indexes[start : start + _IN_CHUNK]
        conn.execute(REPORT_RECOVERY.delete().where(REPORT_RECOVERY.c.basis == basis, REPORT_RECOVERY.c.idx.in_(chunk)))


def add_actor_counts(conn: Connection, basis: str, counts: Mapping[str, Counter[str]]) -> None:
    """Add `entries`, `timed` and `late` per organisation, creating missing rows (the caller holds the
    cursor's lock, which makes this read-then-write safe)."""
    _add_counts(
        conn, REPORT_ACTOR, ("actor",), basis, {(k,): v for k, v in counts.items()}, ("entries", "timed", "late")
    )


def add_day_counts(conn: Connection, basis: str, counts: Mapping[tuple[date, str], Counter[str]]) -> None:
    """Add `entries` and `late` per (day, organisation), as `add_actor_counts`."""
    _add_counts(conn, REPORT_DAY, ("day", "actor"), basis, counts, ("entries", "late"))


def _add_counts(
    conn: Connection,
    table: Table,
    key: tuple[str, ...],
    basis: str,
    counts: Mapping[tuple[Any, ...], Counter[str]],
    columns: tuple[str, ...],
) -> None:
    if not counts:
        return
    key_columns = [table.c[name] for name in key]
    firsts = sorted({k[0] for k in counts})
    existing: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for start in range(0, len(firsts), _IN_CHUNK):
        stmt = select(*key_columns, *(table.c[name] for name in columns)).where(
            table.c.basis == basis, key_columns[0].in_(firsts[start : start + _IN_CHUNK])
        )
        existing.update({tuple(row[: len(key)]): tuple(row[len(key) :]) for row in conn.execute(stmt)})
    inserts = []
    for value, added in counts.items():
        keyed = {name: part for name, part in zip(key, value, strict=True)}
        if value in existing:
            totals = {name: old + added[name] for name, old in zip(columns, existing[value], strict=True)}
            matches = [table.c[name] == part for name, part in keyed.items()]
            conn.execute(update(table).where(table.c.basis == basis, *matches).values(**totals))
        else:
            inserts.append({"basis": basis, **keyed, **{name: added[name] for name in columns}})
    if inserts:
        conn.execute(table.insert(), inserts)


# -- lateness -------------------------------------------------------------------------------------------


def late_rows(
    conn: Connection,
    basis: str,
    size: int,
    *,
    actor: str | None = None,
    actors: Sequence[str] | None = None,
    rule: str | None = None,
    limit: int,
) -> list[LateRow]:
    """The first `limit` late entries below `size` in index order, of `actor` (or one of `actors`) and under
    `rule` if given."""
    stmt = select(REPORT_LATE).where(REPORT_LATE.c.basis == basis, REPORT_LATE.c.idx < size)
    if actor is not None:
        stmt = stmt.where(REPORT_LATE.c.actor == actor)
    if actors is not None:
        stmt = stmt.where(REPORT_LATE.c.actor.in_(sorted(actors)))
    if rule is not None:
        stmt = stmt.where(REPORT_LATE.c.rule == rule)
    return [LateRow(**row._asdict()) for row in conn.execute(stmt.order_by(REPORT_LATE.c.idx).limit(limit))]


def late_groups(conn: Connection, basis: str, size: int) -> list[LateGroup]:
    """Late entries below `size` counted per (organisation, rule)."""
    rows = conn.execute(
        select(REPORT_LATE.c.actor, REPORT_LATE.c.rule, func.count())
        .where(REPORT_LATE.c.basis == basis, REPORT_LATE.c.idx < size)
        .group_by(REPORT_LATE.c.actor, REPORT_LATE.c.rule)
    )
    return [LateGroup(actor, rule, int(count)) for actor, rule, count in rows]


def late_days_of_pack(conn: Connection, basis: str, pack: str, first: int, last: int) -> dict[int, int]:
    """Working days late of the pack's late entries with indexes `first` to `last`, by index."""
    rows = conn.execute(
        select(REPORT_LATE.c.idx, REPORT_LATE.c.working_days_late).where(
            REPORT_LATE.c.basis == basis,
            REPORT_LATE.c.pack == pack,
            REPORT_LATE.c.idx >= first,
            REPORT_LATE.c.idx <= last,
        )
    )
    return {int(idx): int(days) for idx, days in rows}


def actor_counts(conn: Connection, basis: str, *, timed_only: bool = False) -> list[ActorCounts]:
    """Per organisation (`timed_only`: those with entries a deadline applies to)."""
    stmt = select(REPORT_ACTOR.c.actor, REPORT_ACTOR.c.entries, REPORT_ACTOR.c.timed, REPORT_ACTOR.c.late).where(
        REPORT_ACTOR.c.basis == basis
    )
    if timed_only:
        stmt = stmt.where(REPORT_ACTOR.c.timed > 0)
    rows = conn.execute(stmt)
    return [ActorCounts(actor, int(entries), int(timed), int(late)) for actor, entries, timed, late in rows]


def day_counts(
    conn: Connection, basis: str, first: date, last: date, *, actors: Sequence[str] | None = None
) -> dict[date, DayCounts]:
    """Per day from `first` to `last`, the days with entries (of `actors`, if given)."""
    stmt = (
        select(REPORT_DAY.c.day, func.sum(REPORT_DAY.c.entries), func.sum(REPORT_DAY.c.late))
        .where(REPORT_DAY.c.basis == basis, REPORT_DAY.c.day >= first, REPORT_DAY.c.day <= last)
        .group_by(REPORT_DAY.c.day)
    )
    if actors is not None:
        stmt = stmt.where(REPORT_DAY.c.actor.in_(sorted(actors)))
    return {day: DayCounts(day, int(entries), int(late)) for day, entries, late in conn.execute(stmt)}


# -- recovery -------------------------------------------------------------------------------------------


def _plausible(max_kg: float) -> ColumnElement[bool]:
    """Rows whose masses a sum may take: content in (0, max_kg], recovered in [0, content]. NaN and
    infinities (which compare false or, as SQLite stores NaN, are null) fall outside."""
    content, recovered = REPORT_RECOVERY.c.content_kg, REPORT_RECOVERY.c.recovered_kg
    return and_(content > 0, content <= max_kg, recovered >= 0, recovered <= content)


def element_sums(conn: Connection, basis: str, size: int, *, max_kg: float) -> list[ElementSum]:
    """The plausible rows below `size` (see `_plausible`) summed per recycler and element, in that order."""
    rows = conn.execute(
        select(
            REPORT_RECOVERY.c.actor,
            REPORT_RECOVERY.c.element,
            func.count(),
            func.sum(REPORT_RECOVERY.c.content_kg),
            func.sum(REPORT_RECOVERY.c.recovered_kg),
            func.sum(case((REPORT_RECOVERY.c.below, 1), else_=0)),
        )
        .where(REPORT_RECOVERY.c.basis == basis, REPORT_RECOVERY.c.idx < size, _plausible(max_kg))
        .group_by(REPORT_RECOVERY.c.actor, REPORT_RECOVERY.c.element)
        .order_by(REPORT_RECOVERY.c.actor, REPORT_RECOVERY.c.element)
    )
    return [
        ElementSum(actor, element, int(events), float(content), float(recovered), int(below))
        for actor, element, events, content, recovered, below in rows
    ]


def implausible_elements(conn: Connection, basis: str, size: int, *, max_kg: float, limit: int) -> list[ElementRow]:
    """The first `limit` rows below `size` that `element_sums` leaves out, by index and element."""
    rows = conn.execute(
        select(REPORT_RECOVERY)
        .where(
            REPORT_RECOVERY.c.basis == basis,
            REPORT_RECOVERY.c.idx < size,
            or_(~_plausible(max_kg), REPORT_RECOVERY.c.content_kg.is_(None), REPORT_RECOVERY.c.recovered_kg.is_(None)),
        )
        .order_by(REPORT_RECOVERY.c.idx, REPORT_RECOVERY.c.element)
        .limit(limit)
    )
    return [ElementRow(**row._asdict()) for row in rows]


def recycled_counts(conn: Connection, basis: str, size: int) -> dict[str, RecycledCount]:
    """Per recycler, its `recycled` entries below `size` and how many have an element below its threshold."""
    rows = conn.execute(
        select(
            REPORT_RECOVERY.c.actor,
            func.count(distinct(REPORT_RECOVERY.c.idx)),
            func.count(distinct(case((REPORT_RECOVERY.c.below, REPORT_RECOVERY.c.idx), else_=None))),
        )
        .where(REPORT_RECOVERY.c.basis == basis, REPORT_RECOVERY.c.idx < size)
        .group_by(REPORT_RECOVERY.c.actor)
    )
    return {actor: RecycledCount(actor, int(entries), int(below)) for actor, entries, below in rows}


class CorrectedElement(NamedTuple):
    """A recovery row counted with corrected values: the recycler, the element, the correction."""

    actor: str
    element: str
    correction: int  # the index of the (latest) correcting entry counted


def corrected_elements(conn: Connection, basis: str, size: int, *, max_kg: float) -> list[CorrectedElement]:
    """The plausible rows (those `element_sums` sums) below `size` of `recycled` entries corrected below
    `size`, with their latest correction."""
    fixed = current_values("recycled", before=size)
    rows = conn.execute(
        select(REPORT_RECOVERY.c.actor, REPORT_RECOVERY.c.element, fixed.c.idx)
        .join(fixed, fixed.c.target == REPORT_RECOVERY.c.idx)
        .where(REPORT_RECOVERY.c.basis == basis, REPORT_RECOVERY.c.idx < size, _plausible(max_kg))
        .order_by(fixed.c.idx)
    )
    return [CorrectedElement(actor, element, int(idx)) for actor, element, idx in rows]
