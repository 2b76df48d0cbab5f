"""The read side of the pack projection: packs by code, by filter, by recall batch and by search, counts
by status and custodian, and the entries of a pack the views read (its `produced` payload, its custody
moves). Rows come back as records; the `state` column comes back parsed (events.state.PackState).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, NamedTuple, TypeAlias

import sqlalchemy
from sqlalchemy import ColumnElement, Select, case, func, or_, select

from events.federation import PRODUCED_FACTS
from events.lots import LOT_SUBJECT
from events.state import PackState
from ledger.store import correctionrows
from ledger.store.schema import ENTRY, ORG, PACK

# What a use case holds between store calls of one read, without knowing what it is.
Connection: TypeAlias = sqlalchemy.Connection

_IN_CHUNK = 500  # values in one IN (…)
# A recycler lot's chain (events.lots, `lot:<recycler>:<lot id>`) has a row here too, for the append path;
# pack listings and counts leave it out (a pack code never holds ':', whatever LIKE's case rules).
IS_PACK: ColumnElement[bool] = ~PACK.c.code.like(f"{LOT_SUBJECT}%")


@dataclass(frozen=True)
class PackFilter:
    """Every field is optional; given fields must all match."""

    status: str | None = None
    manufacturer: str | None = None  # the producer's org id; with `maker_codes`, either matches
    custodian: str | None = None
    vin: str | None = None  # the vehicle the pack is installed in now
    chemistry: str | None = None
    produced_from: date | None = None
    produced_to: date | None = None
    maker_codes: tuple[str, ...] = ()  # 3-character maker codes of the battery code
    flag: str | None = None  # the pack has an entry of this (flagging) type
    batch: str | None = None  # the `batch` of the pack's `produced` entry
    touched_by: Area | None = None  # packs an organisation of the area touches (`touching`)


@dataclass(frozen=True)
class PackRow:
    state: PackState
    head: str


def find_packs(conn: Connection, where: PackFilter, *, after: str | None, limit: int) -> list[PackRow]:
    """Up to `limit` packs matching `where` with codes greater than `after`, in code order."""
    stmt = select(PACK.c.state, PACK.c.head).where(IS_PACK).order_by(PACK.c.code).limit(limit)
    if after is not None:
        stmt = stmt.where(PACK.c.code > after)
    if where.status is not None:
        stmt = stmt.where(PACK.c.status == where.status)
    makers = _maker_condition(where.manufacturer, where.maker_codes)
    if makers is not None:
        stmt = stmt.where(makers)
    if where.flag is not None:
        stmt = stmt.where(PACK.c.code.in_(select(ENTRY.c.pack).where(ENTRY.c.type == where.flag)))
    if where.batch is not None:
        stmt = stmt.where(PACK.c.code.in_(batch_codes(conn, where.batch)))
    if where.custodian is not None:
        stmt = stmt.where(PACK.c.custodian == where.custodian)
    if where.touched_by is not None:
        stmt = stmt.where(touching(where.touched_by))
    if where.vin is not None:
        stmt = stmt.where(PACK.c.vin == where.vin)
    if where.chemistry is not None:
        chemistry = PACK.c.chemistry == where.chemistry
        stmt = stmt.where(correctionrows.as_corrected(conn, chemistry, PACK.c.code, "chemistry", where.chemistry))
    if where.produced_from is not None:
        stmt = stmt.where(PACK.c.production_date >= where.produced_from)
    if where.produced_to is not None:
        stmt = stmt.where(PACK.c.production_date <= where.produced_to)
    return [PackRow(PackState.from_dict(row.state), row.head) for row in conn.execute(stmt)]


def _maker_condition(producer: str | None, maker_codes: Sequence[str]) -> ColumnElement[bool] | None:
    """Packs produced by `producer` or bearing one of `maker_codes` (None: no maker condition)."""
    makers = []
    if producer is not None:
        makers.append(PACK.c.manufacturer == producer)
    if maker_codes:
        makers.append(PACK.c.maker_code.in_(sorted(maker_codes)))
    return or_(*makers) if makers else None


def batch_codes(conn: Connection, batch: str) -> Select[tuple[str]]:
    """The codes whose `produced` entry (seq 0) records `batch`, as corrected, or whose `arrived` entry copies
    it from the origin's `produced` (events.federation.PRODUCED_FACTS): read from the entry's stored
    JSON, as the projection does not keep it (see docs/integration.md, "Finding makers", for the index that
    would), for the packs whose `produced` was never corrected, and from the corrected values for the few
    others (named in the statement, which stays the plain one while none are corrected)."""
    condition = correctionrows.produced_fact_text(conn, ENTRY, "batch") == batch
    condition = correctionrows.as_corrected(conn, condition, ENTRY.c.pack, "batch", batch)
    return select(ENTRY.c.pack).where(ENTRY.c.seq == 0, ENTRY.c.type.in_(sorted(PRODUCED_FACTS)), condition)


def has_packs_of_record(conn: Connection, org_id: str) -> bool:
    """Whether `org_id` is the manufacturer of record of any pack (ix_pack_manufacturer_date)."""
    return conn.execute(select(PACK.c.code).where(PACK.c.manufacturer == org_id).limit(1)).first() is not None


def get_pack(conn: Connection, code: str) -> PackRow | None:
    row = conn.execute(select(PACK.c.state, PACK.c.head).where(PACK.c.code == code)).first()
    return PackRow(PackState.from_dict(row.state), row.head) if row else None


def pack_states(conn: Connection, codes: Sequence[str]) -> dict[str, PackState]:
    """The state of each of `codes` the projection holds, by code (unknown codes are absent)."""
    found: dict[str, PackState] = {}
    wanted = sorted(set(codes))
    for start in range(0, len(wanted), _IN_CHUNK):
        rows = conn.execute(select(PACK.c.code, PACK.c.state).where(PACK.c.code.in_(wanted[start : start + _IN_CHUNK])))
        found.update({row.code: PackState.from_dict(row.state) for row in rows})
    return found


def produced_payloads(conn: Connection, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The `data` of each pack's first entry (its `produced` claim), by code."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), _IN_CHUNK):
        rows = conn.execute(
            select(ENTRY.c.pack, ENTRY.c.body)
            .where(ENTRY.c.seq == 0)
            .where(ENTRY.c.pack.in_(codes[start : start + _IN_CHUNK]))
        )
        for row in rows:
            found[row.pack] = json.loads(row.body)["claim"]["data"]
    return found


def latest_entries_of_types(conn: Connection, code: str, types: Sequence[str], limit: int) -> list[dict[str, Any]]:
    """The pack's latest `limit` entries of `types`, oldest first, parsed (index, claim, …): read by type, so
    that a chain of many other entries costs no parsing."""
    rows = conn.execute(
        select(ENTRY.c.body)
        .where(ENTRY.c.pack == code, ENTRY.c.type.in_(sorted(types)))
        .order_by(ENTRY.c.seq.desc())
        .limit(limit)
    ).all()
    return [json.loads(row.body) for row in reversed(rows)]


# -- counts ---------------------------------------------------------------------------------------------


def count_by_status(conn: Connection, area: Area | None = None) -> dict[str, int]:
    """Packs per status, in status order; with `area`, of the packs it touches (`touching`)."""
    stmt = select(PACK.c.status, func.count()).where(IS_PACK).group_by(PACK.c.status).order_by(PACK.c.status)
    rows = conn.execute(stmt if area is None else stmt.where(touching(area)))
    return {status: int(count) for status, count in rows}


def count_by_custodian(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(PACK.c.custodian, func.count()).where(IS_PACK).group_by(PACK.c.custodian))
    return {custodian: int(count) for custodian, count in rows}


def states_sharing_a_vehicle(conn: Connection, status: str) -> list[PackState]:
    """The packs in `status` (in_vehicle) whose vehicle holds another pack of that status too, by code: the
    only ones a displacement can concern (ix on `vin` finds the shared vehicles without reading states)."""
    shared = (
        select(PACK.c.vin)
        .where(PACK.c.status == status, PACK.c.vin.is_not(None))
        .group_by(PACK.c.vin)
        .having(func.count() > 1)
    )
    stmt = select(PACK.c.state).where(PACK.c.status == status, PACK.c.vin.in_(shared)).order_by(PACK.c.code)
    return [PackState.from_dict(data) for (data,) in conn.execute(stmt)]


def states_with_status(conn: Connection, statuses: Sequence[str]) -> list[PackState]:
    """The packs in any of `statuses`, by status then code."""
    rows = conn.execute(select(PACK.c.state).where(PACK.c.status.in_(statuses)).order_by(PACK.c.status, PACK.c.code))
    return [PackState.from_dict(data) for (data,) in rows]


# -- recall ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchFilter:
    """A recall batch; given fields must all match. `maker_codes` and `producer` both given: either matches."""

    maker_codes: tuple[str, ...] = ()
    producer: str | None = None  # the producing organisation's id
    produced_from: date | None = None
    produced_to: date | None = None
    chemistry: str | None = None
    spec: str | None = None  # positions 6-7 of the code
    touched_by: Area | None = None  # packs an organisation of the area touches (`touching`)
    codes: tuple[str, ...] | None = None  # only these packs (a recall by cell or module code)


class BatchPack(NamedTuple):
    code: str
    status: str
    custodian: str
    manufacturer: str
    maker_code: str
    chemistry: str
    production_date: date | None
    vin: str | None
    placed: PackState | None  # the state, read only for the statuses in `batch_packs`'s `placed`
    foreign_name: str | None = None  # who made the pack elsewhere (`outside_maker`)
    foreign_country: str | None = None  # its country, or the platform it was made on


def outside_maker() -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Who made a pack outside this platform's registry, and where, from the projection: an imported pack's
    foreign manufacturer (`extra.imported`: name, country), else an arrived pack's producer on its origin
    platform (`extra.arrived`: manufacturer, platform); null for a pack made here."""
    extra = PACK.c.state["extra"]
    foreign, arrived = extra["imported"]["foreign_manufacturer"], extra["arrived"]
    name = func.coalesce(foreign["name"].as_string(), arrived["manufacturer"].as_string())
    where = func.coalesce(foreign["country"].as_string(), arrived["platform"].as_string())
    return name, where


def batch_packs(conn: Connection, where: BatchFilter, *, placed: Sequence[str], limit: int) -> list[BatchPack]:
    """Up to `limit` packs of the batch in code order. Their states are parsed only for packs in `placed`
    statuses (what the rest shows needs no more than the columns)."""
    state = case((PACK.c.status.in_(placed), PACK.c.state), else_=None)
    foreign_name, foreign_where = outside_maker()
    fixed = correctionrows.produced_values()
    stmt = select(
        PACK.c.code,
        PACK.c.status,
        PACK.c.custodian,
        PACK.c.manufacturer,
        PACK.c.maker_code,
        correctionrows.pack_chemistry(conn, fixed),
        PACK.c.production_date,
        PACK.c.vin,
        state.label("placed"),
        foreign_name.label("foreign_name"),
        foreign_where.label("foreign_country"),
    ).select_from(PACK.outerjoin(fixed, fixed.c.pack == PACK.c.code))
    makers = _maker_condition(where.producer, where.maker_codes)
    if makers is not None:
        stmt = stmt.where(makers)
    if where.produced_from is not None:
        stmt = stmt.where(PACK.c.production_date >= where.produced_from)
    if where.produced_to is not None:
        stmt = stmt.where(PACK.c.production_date <= where.produced_to)
    if where.chemistry is not None:
        chemistry = PACK.c.chemistry == where.chemistry
        stmt = stmt.where(correctionrows.as_corrected(conn, chemistry, PACK.c.code, "chemistry", where.chemistry))
    if where.spec is not None:
        stmt = stmt.where(func.substr(PACK.c.code, 6, 2) == where.spec)
    if where.touched_by is not None:
        stmt = stmt.where(touching(where.touched_by))
    if where.codes is not None:
        stmt = stmt.where(PACK.c.code.in_(where.codes))
    rows = conn.execute(stmt.order_by(PACK.c.code).limit(limit))
    return [
        BatchPack._make(
            [
                *row[:-3],
                PackState.from_dict(row.placed) if row.placed is not None else None,
                row.foreign_name,
                row.foreign_country,
            ]
        )
        for row in rows
    ]


# -- search ---------------------------------------------------------------------------------------------

SearchBy = Literal["code", "vin", "maker_code", "custodian", "prefix"]


class PackSummaryRow(NamedTuple):
    code: str
    status: str
    custodian: str
    chemistry: str
    production_date: date | None
    vin: str | None


def search_packs(
    conn: Connection, by: SearchBy, value: str, *, limit: int, touched_by: Area | None = None
) -> list[PackSummaryRow]:
    """Up to `limit` packs in code order whose `by` is `value` (`prefix`: whose code starts with it; a prefix
    holds digits and upper-case letters only); with `touched_by`, only packs they touch (`touching`)."""
    stmt = _summaries(conn).where(_search_condition(by, value))
    if touched_by is not None:
        stmt = stmt.where(touching(touched_by))
    return [PackSummaryRow(*row) for row in conn.execute(stmt.order_by(PACK.c.code).limit(limit))]


def maker_pack_summaries(
    conn: Connection,
    producer: str,
    maker_codes: Sequence[str],
    *,
    limit: int,
    touched_by: Area | None = None,
) -> list[PackSummaryRow]:
    """Up to `limit` packs in code order produced by `producer` or bearing one of `maker_codes` (with
    `touched_by`: that they touch)."""
    condition = _maker_condition(producer, maker_codes)
    stmt = _summaries(conn).where(condition if condition is not None else sqlalchemy.false())
    if touched_by is not None:
        stmt = stmt.where(touching(touched_by))
    return [PackSummaryRow(*row) for row in conn.execute(stmt.order_by(PACK.c.code).limit(limit))]


def _summaries(conn: Connection) -> Select[Any]:
    fixed = correctionrows.produced_values()
    columns = (PACK.c.code, PACK.c.status, PACK.c.custodian, correctionrows.pack_chemistry(conn, fixed))
    return (
        select(*columns, PACK.c.production_date, PACK.c.vin)
        .select_from(PACK.outerjoin(fixed, fixed.c.pack == PACK.c.code))
        .where(IS_PACK)
    )


def _search_condition(by: SearchBy, value: str) -> ColumnElement[bool]:
    if by == "code":
        return PACK.c.code == value
    if by == "vin":
        return PACK.c.vin == value
    if by == "maker_code":
        return PACK.c.maker_code == value
    if by == "custodian":
        return PACK.c.custodian == value
    # LIKE serves PostgreSQL (its pattern index); the range serves SQLite, whose LIKE ignores case and so
    # no index. Both are exact for codes, which hold digits and upper-case letters only.
    condition = PACK.c.code.like(f"{value}%") & (PACK.c.code >= value)
    bound = _prefix_bound(value)
    return condition if bound is None else condition & (PACK.c.code < bound)


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _prefix_bound(prefix: str) -> str | None:
    """The least code-alphabet string above every string that starts with `prefix` (None: no bound)."""
    while prefix and prefix[-1] == _ALPHABET[-1]:
        prefix = prefix[:-1]
    if not prefix:
        return None
    return prefix[:-1] + _ALPHABET[_ALPHABET.index(prefix[-1]) + 1]


# -- places ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """The organisations located in a region, for SQL: those whose registered region starts with `prefix`
    (events.regions.prefix), less `exclude` (ledger.usecases.places: the region's regulators, whose own
    entries do not make a pack theirs)."""

    prefix: str
    exclude: tuple[str, ...] = ()


def _located(area: Area) -> Select[tuple[str]]:
    stmt = select(ORG.c.id).where(func.substr(ORG.c.region, 1, len(area.prefix)) == area.prefix)
    return stmt.where(ORG.c.id.not_in(area.exclude)) if area.exclude else stmt


def touching(area: Area) -> ColumnElement[bool]:
    """The packs an organisation of `area` made, holds now, or recorded an entry of (ledger.usecases.places):
    the producer and custodian columns, or the packs of its entries (found through uq_entry_actor_claim, so
    the cost follows the region's entries, not the whole pack table)."""
    located = _located(area)
    recorded = select(ENTRY.c.pack).where(ENTRY.c.actor.in_(located))
    return or_(PACK.c.custodian.in_(located), PACK.c.manufacturer.in_(located), PACK.c.code.in_(recorded))


def codes_touching(conn: Connection, codes: Sequence[str], area: Area) -> set[str]:
    """Those of `codes` that an organisation of `area` made, holds or recorded an entry of."""
    found: set[str] = set()
    unique = sorted(set(codes))
    located = _located(area)
    for start in range(0, len(unique), _IN_CHUNK):
        chunk = unique[start : start + _IN_CHUNK]
        recorded = select(ENTRY.c.pack).where(ENTRY.c.pack.in_(chunk), ENTRY.c.actor.in_(located))
        held = select(PACK.c.code).where(
            PACK.c.code.in_(chunk), or_(PACK.c.custodian.in_(located), PACK.c.manufacturer.in_(located))
        )
        found.update(code for (code,) in conn.execute(recorded.union(held)))
    return found
