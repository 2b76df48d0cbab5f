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
    select,
    update,
)

from ledger.store.packrows import entry_json_text
from ledger.store.schema import CORRECTION, ENTRY

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


def all_rows(conn: Connection) -> list[CorrectionRow]:
    return [_row(row) for row in conn.execute(select(CORRECTION).order_by(CORRECTION.c.idx))]


def corrected_entries(conn: Connection, after: int = -1) -> Iterable[tuple[int, str, bytes]]:
    """(index, pack, bytes) of every `corrected` entry after index `after`, in index order."""
    rows = conn.execute(
        select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.body)
        .where(ENTRY.c.type == "corrected", ENTRY.c.idx > after)
        .order_by(ENTRY.c.idx)
    )
    return ((int(idx), str(pack), bytes(body)) for idx, pack, body in rows)


def current_values(kind: str | None = None, *, before: int | None = None, name: str = "corrected") -> Subquery:
    """The corrected entries' latest values as a subquery (`target`, `idx` of the correction, `data`) to
    join on an entry's index; `kind`: of entries of that type only; `before`: counting only corrections
    below that index (a report of the log at that size)."""
    if before is None:
        stmt = select(CORRECTION.c.target, CORRECTION.c.idx, CORRECTION.c.data).where(CORRECTION.c.current.is_(True))
        if kind is not None:
            stmt = stmt.where(CORRECTION.c.type == kind)
        return stmt.subquery(name)
    latest = select(CORRECTION.c.target, func.max(CORRECTION.c.idx).label("idx")).where(CORRECTION.c.idx < before)
    if kind is not None:
        latest = latest.where(CORRECTION.c.type == kind)
    last = latest.group_by(CORRECTION.c.target).subquery()
    stmt = select(CORRECTION.c.target, CORRECTION.c.idx, CORRECTION.c.data).join(
        last, and_(last.c.target == CORRECTION.c.target, last.c.idx == CORRECTION.c.idx)
    )
    return stmt.subquery(name)


def corrected_text(conn: Connection, corrected: Subquery, body: Any, member: str) -> ColumnElement[Any]:
    """A payload member's text as corrected: from the (outer-joined) correction's values where there is one
    (they hold the whole payload, so a member corrected to null is null), else from the entry's own stored
    JSON (`body`)."""
    return case(
        (corrected.c.target.is_not(None), entry_json_text(conn, corrected.c.data, member)),
        else_=entry_json_text(conn, body, "claim", "data", member),
    )
