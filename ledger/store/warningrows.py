"""The quality early warning's sums (ledger.usecases.reports.warnings): packs and incidents counted per
finest group in SQL, on SQLite and PostgreSQL.

A pack's batch and plant are in its `produced` entry (seq 0) only, so both queries join it and read the
two fields from the entry's stored JSON bytes; maker, spec code and production date come from the pack
projection. Batch, plant, chemistry and an incident's kind are read as corrected (the `correction`
projection's values where there are some: ledger.store.correctionrows), and each row counts its packs and
incidents whose values were corrected. The result has one row per (maker, batch, plant, spec, chemistry,
production date, end day): small beside the packs, and every coarser grouping is a sum of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Subquery, and_, case, func, or_, select

from events.catalogue import EventType
from ledger.store.correctionrows import corrected_or, corrected_produced_text, corrected_text, current_values
from ledger.store.packrows import Area, outside_maker, touching
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
    corrected: int  # of them, packs whose `produced` values were corrected


class ForeignGroup(NamedTuple):
    """The foreign manufacturers (境外生产企业) of the imported packs of one finest group, or the producers on
    their origin platform of its arrived packs (`country`: that platform)."""

    maker: str
    batch: str | None
    plant: str | None
    spec: str
    chemistry: str
    production_date: date
    name: str
    country: str


class IncidentGroup(NamedTuple):
    maker: str
    batch: str | None
    plant: str | None
    spec: str
    chemistry: str
    production_date: date
    kind: str | None
    incidents: int
    corrected: int  # of them, incidents whose values, or whose pack's `produced` values, were corrected


def _keys(conn: Connection, produced: Any, fixed: Subquery) -> list[ColumnElement[Any]]:
    return [
        PACK.c.manufacturer,
        corrected_produced_text(conn, fixed, produced, "batch").label("batch"),
        corrected_produced_text(conn, fixed, produced, "plant").label("plant"),
        func.substr(PACK.c.code, 6, 2).label("spec"),
        corrected_or(conn, fixed, "chemistry", PACK.c.chemistry).label("chemistry"),
        PACK.c.production_date,
    ]


def _produced(fixed: Subquery) -> Any:
    """The packs joined with their `produced` entry and its corrected values, if any."""
    produced = ENTRY.alias("produced")
    joined = PACK.join(produced, and_(produced.c.pack == PACK.c.code, produced.c.seq == 0)).outerjoin(
        fixed, fixed.c.target == produced.c.idx
    )
    return produced, joined


def _count(*corrections: Subquery) -> ColumnElement[Any]:
    """Rows with corrected values from any of `corrections` (outer-joined)."""
    return func.sum(case((or_(*(c.c.target.is_not(None) for c in corrections)), 1), else_=0))


def pack_groups(
    conn: Connection, as_of: date, ended: Sequence[str], *, touched_by: Area | None = None
) -> list[PackGroup]:
    """Packs with a production date up to `as_of`, counted per finest group, production date and end day
    (the UTC day a pack whose status is in `ended` entered that status); with `touched_by`, only the packs
    they touch (packrows.touching)."""
    fixed = current_values(EventType.PRODUCED)
    produced, joined = _produced(fixed)
    end_day = case(
        (PACK.c.status.in_(list(ended)), func.substr(PACK.c.state["extra"]["status_since"].as_string(), 1, 10)),
        else_=None,
    ).label("ended")
    keys = [*_keys(conn, produced, fixed), end_day]
    stmt = (
        select(*keys, func.count(), _count(fixed))
        .select_from(joined)
        .where(PACK.c.production_date.is_not(None), PACK.c.production_date <= as_of)
        .group_by(*keys)
    )
    if touched_by is not None:
        stmt = stmt.where(touching(touched_by))
    return [PackGroup._make([*row[:-2], int(row[-2]), int(row[-1])]) for row in conn.execute(stmt)]


def incident_groups(
    conn: Connection, as_of: date, until: str, *, touched_by: Area | None = None
) -> list[IncidentGroup]:
    """`incident` entries that happened before `until` (RFC 3339), on packs produced up to `as_of`, counted
    per finest group, production date and kind (with `touched_by`: on the packs they touch)."""
    fixed = current_values(EventType.PRODUCED)
    produced, joined = _produced(fixed)
    incident = ENTRY.alias("incident")
    fixed_incident = current_values(EventType.INCIDENT, name="corrected_incident")
    kind = corrected_text(conn, fixed_incident, incident.c.body, "kind").label("kind")
    keys = [*_keys(conn, produced, fixed), kind]
    stmt = (
        select(*keys, func.count(), _count(fixed, fixed_incident))
        .select_from(
            joined.join(incident, incident.c.pack == PACK.c.code).outerjoin(
                fixed_incident, fixed_incident.c.target == incident.c.idx
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
    return [IncidentGroup._make([*row[:-2], int(row[-2]), int(row[-1])]) for row in conn.execute(stmt)]


def foreign_groups(conn: Connection, as_of: date, *, touched_by: Area | None = None) -> list[ForeignGroup]:
    """The makers outside this platform's registry (packrows.outside_maker: an imported pack's foreign
    manufacturer, an arrived pack's producer on its origin platform) of the packs produced up to `as_of`, per
    finest group (distinct; with `touched_by`, of the packs they touch)."""
    fixed = current_values(EventType.PRODUCED)
    produced, joined = _produced(fixed)
    name, country = outside_maker()
    stmt = (
        select(*_keys(conn, produced, fixed), name.label("name"), country.label("country"))
        .select_from(joined)
        .where(name.is_not(None), PACK.c.production_date.is_not(None), PACK.c.production_date <= as_of)
        .distinct()
    )
    if touched_by is not None:
        stmt = stmt.where(touching(touched_by))
    return [ForeignGroup._make(row) for row in conn.execute(stmt)]
