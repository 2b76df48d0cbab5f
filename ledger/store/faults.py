"""What a database error means for the append that met it: the database's own state (`systemic`: writing
again would meet it again), or a value of the request the database cannot store (`unstorable`)."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError

from ledger.store.driver import Engine


def _sqlstate(exc: Exception) -> str:
    """The SQLSTATE of the driver's error (psycopg's; SQLite's errors have none)."""
    error = exc.orig if isinstance(exc, DBAPIError) else exc
    return str(getattr(error, "sqlstate", None) or "")


def systemic(engine: Engine, exc: Exception) -> bool:
    """The connection went away, or an operational error (busy or locked, a deadlock, out of disk…; but
    not PostgreSQL's program limits, class 54, such as an index row too large, which a request's value can
    exceed)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    error = exc.orig if isinstance(exc, DBAPIError) else exc
    dbapi = engine.dialect.dbapi
    if dbapi is None or not isinstance(error, (dbapi.OperationalError, dbapi.InterfaceError)):
        return False
    return not _sqlstate(exc).startswith("54")


def unstorable(engine: Engine, exc: Exception) -> bool:
    """A value the database cannot store: a NUL character or a number out of range (the driver's
    `DataError`), or a PostgreSQL program limit (class 54)."""
    dbapi = engine.dialect.dbapi
    if _sqlstate(exc).startswith("54") or isinstance(exc, DataError):
        return True
    return dbapi is not None and isinstance(exc, dbapi.DataError)
