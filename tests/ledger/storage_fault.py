"""A fault injected at the storage level: the database itself refuses certain rows, as PostgreSQL refuses
a string holding U+0000, whatever the application checked before."""

from __future__ import annotations

from sqlalchemy import Engine

REFUSED = "injected fault"


def refuse_entries(engine: Engine, pack_prefix: str, *, error: str = "data") -> None:
    """From now on the database refuses to insert an entry of any pack whose code starts with
    `pack_prefix`. `error`: "data", a data error (SQLSTATE 22000 on PostgreSQL; on SQLite "string or blob
    too big", which the driver raises as `DataError`); "other", another error (an `IntegrityError` on
    SQLite, a raised exception on PostgreSQL); "program_limit" (PostgreSQL only), SQLSTATE 54000, as
    for an index row too large, which psycopg raises as an `OperationalError`."""
    assert pack_prefix.isalnum()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            assert error in ("data", "other")
            action = "SELECT zeroblob(2000000000)" if error == "data" else f"SELECT RAISE(ABORT, '{REFUSED}')"
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_entries BEFORE INSERT ON entry WHEN NEW.pack LIKE '{pack_prefix}%' "
                f"BEGIN {action}; END"
            )
            return
        state = {"data": "data_exception", "other": "raise_exception", "program_limit": "program_limit_exceeded"}
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse_entries() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{REFUSED}' USING ERRCODE = '{state[error]}'; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_entries BEFORE INSERT ON entry FOR EACH ROW "
            f"WHEN (NEW.pack LIKE '{pack_prefix}%%') EXECUTE FUNCTION refuse_entries()"
        )
