"""Starting a basis' report tables over (ledger.usecases.report_index): when the working-day calendar in
force changes (a `calendar_imported` entry), the rows counted with the old calendar are removed and the
basis' cursor goes back to 0. The calendar the rows were counted with is remembered as the position of a
second cursor row, `<basis>|calendar`: the index after the latest calendar import they include.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete, inspect, update

from ledger.store.schema import REPORT_ACTOR, REPORT_CURSOR, REPORT_DAY, REPORT_LATE, REPORT_RECOVERY


def calendar_cursor(basis: str) -> str:
    return f"{basis}|calendar"


def clear_basis(conn: Connection, basis: str) -> None:
    """Remove every row of `basis` and move its cursor to 0 (inside the caller's transaction, which holds
    the cursor's lock)."""
    for table in (REPORT_LATE, REPORT_RECOVERY, REPORT_ACTOR, REPORT_DAY):
        conn.execute(delete(table).where(table.c.basis == basis))
    conn.execute(update(REPORT_CURSOR).where(REPORT_CURSOR.c.basis == basis).values(position=0))


def upgrade_day_table(engine: Engine) -> bool:
    """Give a database whose `report_day` predates its `actor` column (per-region figures) the table of this
    version: the report tables are derived, so they are emptied and counted again from the log on the next
    report (migration c4f9a2d3e5b7 does the same for Alembic-managed databases). Whether it did."""
    columns = {c["name"] for c in inspect(engine).get_columns(REPORT_DAY.name)}
    if "actor" in columns:
        return False
    with engine.begin() as conn:
        REPORT_DAY.drop(conn)
        REPORT_DAY.create(conn)
        for table in (REPORT_LATE, REPORT_RECOVERY, REPORT_ACTOR, REPORT_CURSOR):
            conn.execute(delete(table))
    return True


def clear_all(conn: Connection) -> None:
    """Remove every basis' rows and cursors: the next refresh counts the whole log again."""
    for table in (REPORT_LATE, REPORT_RECOVERY, REPORT_ACTOR, REPORT_DAY, REPORT_CURSOR):
        conn.execute(delete(table))
