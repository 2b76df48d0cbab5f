"""The quality early warning's sums (ledger.usecases.reports.warnings): packs and incidents counted per
finest group in SQL, on SQLite and PostgreSQL.

A pack's batch and plant are in its `produced` entry (seq 0) only, so both queries join it and read the
two fields from the entry's stored JSON bytes; maker, spec code, chemistry and production date come from
the pack projection. The result has one row per (maker, batch, plant, spec, chemistry, production date,
end day): small beside the packs, and every coarser grouping is a sum of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, and_, case, func, select

from ledger.store.packrows import Area, entry_json_text, touching
from ledger.store.schema import ENTRY, PACK


class PackGroup(NamedTuple):
    """Packs of one finest group produced on one day and (if they left the population) ended on one day."""

    maker: str
    batch: str | None
    plant: str | None
    spec: str
    chemistry: str
    production_date: date
    ended: str | None  # YYYY-MM-DD (UTC) a pack in an ended status entered it (`extra.status_since`)
    packs: int


class IncidentGroup(NamedTuple):
    maker: str
    batch: str | None
    plant: str | None
    spec: str
    chemistry: str
    production_date: date
    kind: str | None
    incidents: int


def _keys(conn: Connection, produced: Any) -> list[ColumnElement[Any]]:
    return [
        PACK.c.manufacturer,
        entry_json_text(conn, produced.c.body, "claim", "data", "batch").label("batch"),
        entry_json_text(conn, produced.c.body, "claim", "data", "plant").label("plant"),
        func.substr(PACK.c.code, 6, 2).label("spec"),
        PACK.c.chemistry,
        PACK.c.production_date,
    ]


def pack_groups(
    conn: Connection, as_of: date, ended: Sequence[str], *, touched_by: Area | None = None
) -> list[PackGroup]:
    """Packs with a production date up to `as_of`, counted per finest group, production date and end day
    (the UTC day a pack whose status is in `ended` entered that status); with `touched_by`, only the packs
    they touch (packrows.touching)."""
    produced = ENTRY.alias("produced")
    end_day = case(
        (PACK.c.status.in_(list(ended)), func.substr(PACK.c.state["extra"]["status_since"].as_string(), 1, 10)),
        else_=None,
    ).label("ended")
    keys = [*_keys(conn, produced), end_day]
    stmt = (
        select(*keys, func.count())
        .select_from(PACK.join(produced, and_(produced.c.pack == PACK.c.code, produced.c.seq == 0)))
        .where(PACK.c.production_date.is_not(None), PACK.c.production_date <= as_of)
        .group_by(*keys)
    )
    if touched_by is not None:
        stmt = stmt.where(touching(touched_by))
    return [PackGroup._make([*row[:-1], int(row[-1])]) for row in conn.execute(stmt)]


def incident_groups(
    conn: Connection, as_of: date, until: str, *, touched_by: Area | None = None
) -> list[IncidentGroup]:
    """`incident` entries that happened before `until` (RFC 3339), on packs produced up to `as_of`, counted
    per finest group, production date and kind (with `touched_by`: on the packs they touch)."""
    produced = ENTRY.alias("produced")
    incident = ENTRY.alias("incident")
    kind = entry_json_text(conn, incident.c.body, "claim", "data", "kind").label("kind")
    keys = [*_keys(conn, produced), kind]
    stmt = (
        select(*keys, func.count())
        .select_from(
            incident.join(PACK, PACK.c.code == incident.c.pack).join(
                produced, and_(produced.c.pack == PACK.c.code, produced.c.seq == 0)
            )
        )
        .where(
            incident.c.type == "incident",
            incident.c.at < until,
            PACK.c.production_date.is_not(None),
            PACK.c.production_date <= as_of,
        )
        .group_by(*keys)
    )
    if touched_by is not None:
        stmt = stmt.where(touching(touched_by))
    return [IncidentGroup._make([*row[:-1], int(row[-1])]) for row in conn.execute(stmt)]
