"""Engines for the two backends: SQLite (WAL, the embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, create_engine, event, make_url

# Connection and Engine are re-exported: the use cases hold them opaquely, typed through the store.
from sqlalchemy import Connection as Connection
from sqlalchemy import Engine as Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from ledger.store.schema import TABLES

# SQLite copies the write-ahead log back into the database file (a checkpoint: two fsyncs and the copy)
# when it holds this many pages, in the thread that commits. A ledger checkpoints from a background
# thread (WalCheckpointer) well before that, so appends do not wait; this is the backstop for processes
# that write without one.
WAL_AUTOCHECKPOINT_PAGES = 10_000
# SQLite's page cache per connection (its default is 2 MiB). An append inserts into indexes keyed by
# hashes and claim ids, which land on random pages: with a million entries those indexes are tens of
# megabytes, and with the default cache a 1,000-claim append read most of its pages back from the OS.
# Measured at 300,000 entries: 3,008 appends/s with the default, 4,219/s with 64 MiB.
SQLITE_CACHE_KIB = 64 * 1024
# SQLite: the `synchronous` level of a durable commit (`write_connection(durable=True)`: appends, which
# sign a checkpoint, and key revocations). In WAL mode FULL syncs the write-ahead log before the commit
# returns, so a checkpoint is on disk before it can be served; NORMAL syncs it only when the log is
# copied back, and a power cut can lose the last commits (never a process crash).
DURABLE_SYNCHRONOUS = "FULL"
_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def normalise_url(url: str) -> str:
    """Let users write `postgresql://…`; we always drive PostgreSQL with psycopg 3."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def postgres_url(*, host: str, port: int, user: str, password: str, name: str) -> str:
    """A PostgreSQL URL from its parts, each escaped (a password may hold `@`, `/`, `:` or `%`)."""
    url = URL.create("postgresql+psycopg", username=user or None, password=password or None, host=host, port=port)
    return url.set(database=name).render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names (None: another database, or SQLite in memory)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, schema: str | None = None, sqlite_synchronous: str = "NORMAL") -> Engine:
    """An engine with the settings the ledger relies on.

    SQLite: WAL (readers never block the writer), a busy timeout so several processes can share one file,
    and transactions begun by us (`BEGIN` or `BEGIN IMMEDIATE`) rather than by the driver. In WAL mode
    `synchronous=NORMAL` survives any crash of the process (kill -9); `FULL` also survives power loss.
    `sqlite_synchronous` applies to every transaction but durable ones (`write_connection(durable=True)`),
    which commit with at least `DURABLE_SYNCHRONOUS`.
    PostgreSQL: an optional schema (tests run each in their own) through `search_path`.
    """
    url = normalise_url(url)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        sqlite_synchronous = sqlite_synchronous.upper()
        if sqlite_synchronous not in _LEVELS:
            raise ValueError(f"sqlite_synchronous must be one of {', '.join(_LEVELS)}, not {sqlite_synchronous!r}")
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            raise ValueError("the ledger needs a file database; in-memory SQLite cannot be shared")
        engine = create_engine(url, poolclass=NullPool if "mode=ro" in url else None, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, record: Any) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            record.info["synchronous"] = sqlite_synchronous
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cur.close()

        durable = max(sqlite_synchronous, DURABLE_SYNCHRONOUS, key=_LEVELS.index)

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            options = conn.get_execution_options()
            level = durable if options.get("sqlite_durable") else sqlite_synchronous
            info = conn.connection.info
            if info.get("synchronous") != level:  # set outside the transaction; kept by the connection
                conn.exec_driver_sql(f"PRAGMA synchronous={level}")
                info["synchronous"] = level
            conn.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', '')}".strip())

        return engine
    if schema:
        kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **kwargs)


def create_schema(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=TABLES)


@contextmanager
def write_connection(engine: Engine, *, durable: bool = False) -> Iterator[Connection]:
    """A connection whose transaction takes the write lock at once on SQLite (`BEGIN IMMEDIATE`).
    `durable`: on SQLite its commits are on disk when they return, power cut included (synchronous at
    least `DURABLE_SYNCHRONOUS`); PostgreSQL's commits are durable already (`synchronous_commit`)."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn = conn.execution_options(sqlite_begin="IMMEDIATE", sqlite_durable=durable)
        yield conn


class WalCheckpointer:
    """SQLite: checkpoints the write-ahead log from a background thread after commits, at most every
    `interval` seconds, so the appending thread never waits for the copy and its fsyncs. PASSIVE mode
    blocks neither readers nor writers, and SQLite releases the GIL while it works."""

    def __init__(self, engine: Engine, interval: float = 0.2) -> None:
        self.engine = engine
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="packtrace-wal-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except OperationalError:  # busy, or the database is going away: the next commit asks again
                pass
            self._stop.wait(self.interval)  # meanwhile commits accumulate: one checkpoint copies them all


def database_problem(exc: BaseException) -> str | None:
    """What is wrong with a database that cannot be opened or used (a server that does not answer, refused
    credentials, a URL that is not one, a file that is not a database), in the driver's own first line; None
    for any other error."""
    from sqlalchemy.exc import ArgumentError, DatabaseError, InterfaceError, NoSuchModuleError

    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return str(exc).splitlines()[0]
    if isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError:
        orig = getattr(exc, "orig", None) or exc
        lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
        return lines[0] if lines else type(orig).__name__
    return None
