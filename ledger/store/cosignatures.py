"""Witness cosignatures gathered by the log (docs/ledger-format.md §4.3): the verified lines per
(checkpoint size, witness), each witness's latest cosigned size, and the size of the published checkpoint.
Functions take a connection inside the caller's transaction and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from events.timestamps import as_utc
from ledger.store.schema import COSIGNATURE, PUBLISHED, WITNESS_HEAD


@dataclass(frozen=True)
class Cosigned:
    """A witness's verified cosignature line(s) on the checkpoint of `size`."""

    witness: str  # its verifier key
    size: int
    lines: str
    cosigned_at: datetime


@dataclass(frozen=True)
class Head:
    size: int
    cosigned_at: datetime


def lines_at(conn: Connection, size: int) -> str:
    """Every cosignature line stored for the checkpoint of `size`, in the order of the witnesses' keys."""
    rows = conn.execute(select(COSIGNATURE.c.lines).where(COSIGNATURE.c.size == size).order_by(COSIGNATURE.c.witness))
    return "".join(rows.scalars())


def newest_cosigned_size(conn: Connection, at_least: int) -> int | None:
    """The largest size >= `at_least` whose checkpoint carries a cosignature, if any."""
    size = conn.execute(select(func.max(COSIGNATURE.c.size)).where(COSIGNATURE.c.size >= at_least)).scalar()
    return None if size is None else int(size)


def heads(conn: Connection) -> dict[str, Head]:
    """Witness verifier key → the latest size it cosigned and when."""
    rows = conn.execute(select(WITNESS_HEAD.c.witness, WITNESS_HEAD.c.size, WITNESS_HEAD.c.cosigned_at))
    return {r.witness: Head(int(r.size), as_utc(r.cosigned_at)) for r in rows}


def published_size(conn: Connection) -> int | None:
    size = conn.execute(select(PUBLISHED.c.size).where(PUBLISHED.c.id == 1)).scalar()
    return None if size is None else int(size)


def record(conn: Connection, cosigned: Sequence[Cosigned], *, publish: int, now: datetime) -> None:
    """Store the cosignatures of one gathering round, move each witness's head to the size it cosigned
    and publish the round's checkpoint (sizes only grow: a late round never moves the published one back)."""
    for c in cosigned:
        key = (COSIGNATURE.c.size == c.size) & (COSIGNATURE.c.witness == c.witness)
        conn.execute(delete(COSIGNATURE).where(key))  # the witness cosigned the same checkpoint again
        conn.execute(
            insert(COSIGNATURE).values(size=c.size, witness=c.witness, lines=c.lines, cosigned_at=as_utc(c.cosigned_at))
        )
        moved = conn.execute(
            update(WITNESS_HEAD)
            .where(WITNESS_HEAD.c.witness == c.witness, WITNESS_HEAD.c.size <= c.size)
            .values(size=c.size, cosigned_at=as_utc(c.cosigned_at))
        )
        if moved.rowcount == 0 and c.witness not in heads(conn):  # a witness's first cosignature
            conn.execute(insert(WITNESS_HEAD).values(witness=c.witness, size=c.size, cosigned_at=as_utc(c.cosigned_at)))
    moved = conn.execute(
        update(PUBLISHED)
        .where(PUBLISHED.c.id == 1, PUBLISHED.c.size <= publish)
        .values(size=publish, published_at=as_utc(now))
    )
    if moved.rowcount == 0 and published_size(conn) is None:
        conn.execute(insert(PUBLISHED).values(id=1, size=publish, published_at=as_utc(now)))
