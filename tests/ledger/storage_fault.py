"""A fault injected at the storage level: the database itself refuses certain rows, as PostgreSQL refuses
a string holding U+0000, whatever the application checked before."""

from __future__ import annotations

from sqlalchemy import Engine

REFUSED = "injected fault"


def refuse_entries(engine: Engine, pack_prefix: str, *, data_error: bool = True) -> None:
    """From now on the database refuses to insert an entry of any pack whose code starts with
    `pack_prefix`: with a data error (SQLSTATE 22000 on PostgreSQL; on SQLite "string or blob too big",
    which the driver raises as `DataError`), or, with `data_error=False`, with another error (an
    `IntegrityError` on SQLite, a raised exception on PostgreSQL)."""
    assert pack_prefix.isalnum()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            action = "SELECT zeroblob(2000000000)" if data_error else f"SELECT RAISE(ABORT, '{REFUSED}')"
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_entries BEFORE INSERT ON entry WHEN NEW.pack LIKE '{pack_prefix}%' "
                f"BEGIN {action}; END"
            )
            return
        state = "data_exception" if data_error else "raise_exception"
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse_entries() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{REFUSED}' USING ERRCODE = '{state}'; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_entries BEFORE INSERT ON entry FOR EACH ROW "
            f"WHEN (NEW.pack LIKE '{pack_prefix}%%') EXECUTE FUNCTION refuse_entries()"
        )
