"""The `correction` projection (events.corrections): written by the append (and rebuilt from the log by
ledger.usecases.corrections), read by the reports and views that show corrected values.

A reader that shows an entry's values joins `current_values()` on the entry's index and takes the
corrected member where there is one (`corrected_text`): COALESCE over the entry's own JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Subquery,
    and_,
    case,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)

from events.catalogue import EventType
from events.federation import PRODUCED_FACTS
from ledger.store.jsontext import entry_json_text
from ledger.store.schema import CORRECTION, ENTRY, PACK

_IN_CHUNK = 500


class CorrectionRow(NamedTuple):
    """One correction that changed its target: the target's values after it."""

    idx: int  # the correcting entry
    target: int  # the corrected entry
    pack: str
    type: str  # the corrected entry's event type
    data: dict[str, Any]
    members: tuple[str, ...]
    current: bool = True

    def values(self) -> tuple[Any, ...]:
        return (self.idx, self.target, self.pack, self.type, data_bytes(self.data), list(self.members), self.current)


def data_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _row(row: Any) -> CorrectionRow:
    members = row.members if isinstance(row.members, list) else json.loads(row.members)
    return CorrectionRow(
        int(row.idx),
        int(row.target),
        row.pack,
        row.type,
        json.loads(bytes(row.data)),
        tuple(members),
        bool(row.current),
    )


def exists(engine: Engine) -> bool:
    """Whether the database has the table (one made before it had none)."""
    return inspect(engine).has_table(CORRECTION.name)


# -- writing --------------------------------------------------------------------------------------------


def add(conn: Connection, rows: Sequence[CorrectionRow]) -> None:
    """Record corrections in index order: each becomes its target's current one."""
    for row in rows:
        conn.execute(update(CORRECTION).where(CORRECTION.c.target == row.target).values(current=False))
        conn.execute(insert(CORRECTION).values(dict(zip(CORRECTION.c.keys(), row.values(), strict=True))))


def clear(conn: Connection) -> None:
    conn.execute(delete(CORRECTION))


# -- reading --------------------------------------------------------------------------------------------


def current_data(conn: Connection, target: int) -> dict[str, Any] | None:
    """The values of entry `target` after its latest correction (None: never corrected)."""
    row = conn.execute(
        select(CORRECTION.c.data).where(CORRECTION.c.target == target, CORRECTION.c.current.is_(True))
    ).first()
    return None if row is None else dict(json.loads(bytes(row.data)))


def of_packs(conn: Connection, codes: Sequence[str]) -> list[CorrectionRow]:
    """Every correction of the packs of `codes` that changed its target, in index order."""
    found: list[CorrectionRow] = []
    for start in range(0, len(codes), _IN_CHUNK):
        stmt = select(CORRECTION).where(CORRECTION.c.pack.in_(codes[start : start + _IN_CHUNK]))
        found += [_row(row) for row in conn.execute(stmt)]
    return sorted(found)


def at(conn: Connection, indexes: Sequence[int], kind: str) -> list[CorrectionRow]:
    """The corrections among the entries at `indexes` that changed an entry of type `kind`, in index order."""
    found: list[CorrectionRow] = []
    for start in range(0, len(indexes), _IN_CHUNK):
        chunk = indexes[start : start + _IN_CHUNK]
        found += [
            _row(row)
            for row in conn.execute(select(CORRECTION).where(CORRECTION.c.idx.in_(chunk), CORRECTION.c.type == kind))
        ]
    return sorted(found)


def all_rows(conn: Connection) -> list[CorrectionRow]:
    return [_row(row) for row in conn.execute(select(CORRECTION).order_by(CORRECTION.c.idx))]


class EntryRef(NamedTuple):
    seq: int
    hash: str
    body: bytes


def entries_at(conn: Connection, indexes: Sequence[int]) -> dict[int, EntryRef]:
    """The seq, hash and stored bytes of the entries at `indexes`, by index."""
    found: dict[int, EntryRef] = {}
    wanted = sorted(set(indexes))
    for start in range(0, len(wanted), _IN_CHUNK):
        stmt = select(ENTRY.c.idx, ENTRY.c.seq, ENTRY.c.hash, ENTRY.c.body).where(
            ENTRY.c.idx.in_(wanted[start : start + _IN_CHUNK])
        )
        found.update({int(row.idx): EntryRef(int(row.seq), row.hash, bytes(row.body)) for row in conn.execute(stmt)})
    return found


def entry_place(conn: Connection, index: int) -> tuple[str, int, int] | None:
    """The pack, seq and the pack's last seq of the pack entry at `index` (None: no pack entry there)."""
    row = conn.execute(
        select(ENTRY.c.pack, ENTRY.c.seq, PACK.c.seq.label("last"))
        .join(PACK, PACK.c.code == ENTRY.c.pack)
        .where(ENTRY.c.idx == index)
    ).first()
    return None if row is None else (str(row.pack), int(row.seq), int(row.last))


def corrected_entries(conn: Connection, after: int = -1) -> Iterable[tuple[int, str, bytes]]:
    """(index, pack, bytes) of every `corrected` entry after index `after`, in index order."""
    rows = conn.execute(
        select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.body)
        .where(ENTRY.c.type == "corrected", ENTRY.c.idx > after)
        .order_by(ENTRY.c.idx)
    )
    return ((int(idx), str(pack), bytes(body)) for idx, pack, body in rows)


def current_values(kind: str | None = None, *, before: int | None = None, name: str = "corrected") -> Subquery:
    """The corrected entries' latest values as a subquery (`target`, `idx` of the correction, `pack`, `data`)
    to join on an entry's index (or, for `produced` values, on a pack's code); `kind`: of entries of that
    type only; `before`: counting only corrections below that index (a report of the log at that size)."""
    if before is None:
        stmt = select(CORRECTION.c.target, CORRECTION.c.idx, CORRECTION.c.pack, CORRECTION.c.data).where(
            CORRECTION.c.current.is_(True)
        )
        if kind is not None:
            stmt = stmt.where(CORRECTION.c.type == kind)
        return stmt.subquery(name)
    latest = select(CORRECTION.c.target, func.max(CORRECTION.c.idx).label("idx")).where(CORRECTION.c.idx < before)
    if kind is not None:
        latest = latest.where(CORRECTION.c.type == kind)
    last = latest.group_by(CORRECTION.c.target).subquery()
    stmt = select(CORRECTION.c.target, CORRECTION.c.idx, CORRECTION.c.pack, CORRECTION.c.data).join(
        last, and_(last.c.target == CORRECTION.c.target, last.c.idx == CORRECTION.c.idx)
    )
    return stmt.subquery(name)


def produced_fact_text(conn: Connection, entry: Any, member: str) -> ColumnElement[Any]:
    """A member of the production facts a chain's first entry holds (`entry`: the entry table or an alias of
    it), in SQL: a `produced` entry's payload member, or the one an `arrived` entry copies from the origin's
    `produced` (events.federation.PRODUCED_FACTS); one JSON read a row, chosen by the entry's type."""
    paths = (
        (entry.c.type == kind, entry_json_text(conn, entry.c.body, *path, member))
        for kind, path in PRODUCED_FACTS.items()
    )
    return case(*paths, else_=None)


def corrected_produced_text(conn: Connection, corrected: Subquery, entry: Any, member: str) -> ColumnElement[Any]:
    """`produced_fact_text` as corrected (an arrival's copied facts are never corrected here: no `produced`
    entry of this log holds them)."""
    return corrected_or(conn, corrected, member, produced_fact_text(conn, entry, member))


def corrected_text(conn: Connection, corrected: Subquery, body: Any, member: str) -> ColumnElement[Any]:
    """A payload member's text as corrected: from the (outer-joined) correction's values where there is one,
    else from the entry's own stored JSON (`body`)."""
    return corrected_or(conn, corrected, member, entry_json_text(conn, body, "claim", "data", member))


def corrected_or(conn: Connection, corrected: Subquery, member: str, otherwise: Any) -> ColumnElement[Any]:
    """A payload member's text from the (outer-joined) correction's values where there is one (they hold the
    whole payload, so a member corrected to null is null), else `otherwise` (e.g. a projection's column)."""
    return case((corrected.c.target.is_not(None), entry_json_text(conn, corrected.c.data, member)), else_=otherwise)


# -- a pack's corrected `produced` values, beside the pack projection ------------------------------------


def produced_values() -> Subquery:
    """The packs' corrected `produced` values, to outer-join on `pack.code` (`fixed.c.pack == PACK.c.code`)."""
    return current_values(EventType.PRODUCED, name="corrected_produced")


def pack_chemistry(conn: Connection, fixed: Subquery) -> ColumnElement[Any]:
    """A pack's chemistry as corrected (with `produced_values()` outer-joined as `fixed`)."""
    return corrected_or(conn, fixed, "chemistry", PACK.c.chemistry).label("chemistry")


def produced_now(conn: Connection) -> dict[str, dict[str, Any]]:
    """The corrected `produced` values of every pack whose `produced` was corrected, by code."""
    rows = conn.execute(
        select(CORRECTION.c.pack, CORRECTION.c.data).where(
            CORRECTION.c.current.is_(True), CORRECTION.c.type == EventType.PRODUCED.value
        )
    )
    return {str(pack): dict(json.loads(bytes(data))) for pack, data in rows}


def as_corrected(
    conn: Connection, recorded: ColumnElement[bool], pack: Any, member: str, value: str
) -> ColumnElement[bool]:
    """`recorded` (a condition on a pack's `produced` value as recorded, `pack` its code column) made to hold
    for the packs whose `produced` `member` is `value` as corrected. The corrected packs are few: they are
    named in the statement, so while there are none it is `recorded` itself and its indexes serve it."""
    corrected = produced_now(conn)
    if not corrected:
        return recorded
    now = sorted(code for code, data in corrected.items() if data.get(member) == value)
    condition = and_(recorded, pack.not_in(sorted(corrected)))
    return or_(condition, pack.in_(now)) if now else condition
