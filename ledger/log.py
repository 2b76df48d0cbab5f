"""The append path and the log's read side: one transaction per batch, serialised on the log head.

Appending a batch is one unit of work (DESIGN §4, STYLE "one transaction boundary"):
    (1) outside the lock: check each claim's envelope, that the actor is the caller, and start its
        signature check (a worker process shares large batches' checks: ledger/signatures.py);
    (2) lock the log head (`BEGIN IMMEDIATE` on SQLite, `SELECT … FOR UPDATE` on PostgreSQL) and take
        the time of recording under it (key revocations take the same lock: ledger/head.py);
    (3) answer claims already recorded (same actor and id) with their entry, refuse a reused id;
    (4) check each key is valid and not revoked, `prev`, and the domain rules, folding the batch pack
        by pack;
    (5) insert the entries and the new Merkle nodes, update the pack projections and the head, sign and
        store the checkpoint; collect the signature checks (they overlapped with all of this); commit.
        Any failure rolls the whole batch back.
Concurrent requests share a transaction (group commit); see `Ledger._commit` and `append_one_async`. A
group whose transaction fails is written again in halves, so one request's failure fails it alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

import orjson
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import DataError, DBAPIError

from events import rules
from events.batch import batch_problems
from events.errors import (
    AuthorisationError,
    ConflictError,
    InvalidClaim,
    InvalidPayload,
    NotFoundError,
    PacktraceError,
)
from events.orgs import Org
from events.permissions import check_correction_author
from events.state import Event, PackState
from ledger.append import head as log_head
from ledger.format import merkle
from ledger.format.canonical import canonical, entry_bytes, entry_hash
from ledger.format.claims import SignedClaim, bad_signature, format_recorded_at, parse_claim
from ledger.format.logkey import LogSigner
from ledger.format.signatures import PendingChecks, SignatureChecker
from ledger.store import registry
from ledger.store.db import WalCheckpointer, create_schema, is_sqlite, write_connection
from ledger.store.schema import Checkpoint, Entry, LogHead, MerkleNode, Pack, node_id, node_key

ENTRY = Entry.__table__  # type: ignore[attr-defined]
NODE = MerkleNode.__table__  # type: ignore[attr-defined]
CHECKPOINT = Checkpoint.__table__  # type: ignore[attr-defined]
HEAD = LogHead.__table__  # type: ignore[attr-defined]
PACK = Pack.__table__  # type: ignore[attr-defined]

MAX_BATCH = 10_000
GROUP_LIMIT = 64  # requests written together in one group commit
ENTRY_COLUMNS = ("idx", "pack", "seq", "hash", "actor", "claim_id", "type", "at", "recorded_at", "body")
PACK_COLUMNS = (
    "status",
    "custodian",
    "manufacturer",
    "maker_code",
    "chemistry",
    "production_date",
    "vin",
    "head",
    "seq",
    "last_index",
    "state",
)


class Validator(Protocol):
    """What the domain provides to the ledger: the rule for one event, and the checks across a batch."""

    def apply(self, state: PackState | None, event: Event, ctx: Any) -> PackState: ...

    def batch_problems(self, events: Sequence[Event]) -> list[tuple[int, PacktraceError]]: ...


class DomainRules:
    """The battery domain (events/) as the ledger's validator."""

    apply = staticmethod(rules.apply)
    batch_problems = staticmethod(batch_problems)


DOMAIN = DomainRules()


class BatchRejected(PacktraceError):
    """Some items of a batch failed; nothing was appended. `errors` lists (position, error)."""

    code = "batch_rejected"

    def __init__(self, errors: list[tuple[int, PacktraceError]]) -> None:
        positions = ", ".join(f"#{pos}: {err.message}" for pos, err in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} item(s) rejected, nothing was recorded: {positions}{more}")
        self.errors = errors


@dataclass(slots=True)
class Appended:
    """One entry as the append answers it; `created` is False for an idempotent retry. (Not frozen: one
    is made per appended claim, and a frozen dataclass's __init__ took several times as long.)"""

    body: bytes  # the entry's canonical bytes
    hash: str
    index: int
    seq: int
    created: bool

    @property
    def entry(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str


def driver_sql(conn: Connection, sql: str, params: Sequence[Any] = (), *, custom_plan: bool = False) -> Any:
    """Run SQL written with `?` marks on the driver's own cursor (psycopg wants `%s`), inside the
    connection's transaction; rows come back as plain tuples. The append path's statements are few and
    fixed, and SQLAlchemy's work around each one cost more than the database's for a single event.

    `custom_plan`: PostgreSQL plans the statement for these values every time. psycopg prepares a
    statement run five times, and PostgreSQL may then keep a generic plan, made without the values; for
    a lookup whose index leads with a column of few distinct values that plan can read far more rows."""
    cursor: Any = conn.connection.cursor()
    if conn.dialect.paramstyle == "qmark":
        cursor.execute(sql, params)
    else:
        cursor.execute(sql.replace("?", "%s"), params, prepare=False if custom_plan else None)
    return cursor


def driver_many(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """`executemany` on the driver's cursor (see `driver_sql`)."""
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    cursor = conn.connection.cursor()
    cursor.executemany(sql, rows)
    cursor.close()


def projection_json(state: PackState) -> str:
    """The pack's stored projection (`pack.state`): `state.to_dict()` as JSON. orjson writes the dataclass
    as it is (same fields, same order, tuples as arrays, the date as ISO text), skipping the copy into
    plain dictionaries that took most of the projection's time. (What orjson does not write, such as an
    integer beyond 64 bits in `extra`, takes the slow road.)"""
    try:
        return orjson.dumps(state).decode()
    except orjson.JSONEncodeError:
        return json.dumps(state.to_dict(), separators=(",", ":"), ensure_ascii=False)


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamp(conn: Connection, moment: datetime) -> Any:
    """A timestamp as each driver stores SQLModel's datetime columns (SQLite: SQLAlchemy's text form)."""
    moment = registry.as_utc(moment)
    if conn.dialect.name == "sqlite":
        return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return moment


def _read_time(value: Any) -> datetime:
    """A stored timestamp read through the driver: a datetime (psycopg) or SQLAlchemy's SQLite text form."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return registry.as_utc(moment)


@dataclass
class _Request:
    """One caller's claims waiting for the group commit, and what became of them."""

    claims: list[SignedClaim]
    checking: PendingChecks
    positions: list[int]  # each claim's position in the caller's batch
    rejected: dict[int, PacktraceError] = field(default_factory=dict)  # items refused before the lock
    done: threading.Event = field(default_factory=threading.Event)
    results: list[Appended] | None = None
    error: BaseException | None = None
    # Submitted from an event loop: the items as received, checked by the writer thread (step 1), and
    # what to call (from that thread) once the request is settled.
    unchecked: tuple[Sequence[tuple[Any, Any]], str | None] | None = None
    settled: Callable[[_Request], None] | None = None

    def outcome(self) -> list[Appended]:
        """The entries, once settled; or the error that refused the request."""
        if self.error is not None:
            raise self.error
        assert self.results is not None
        return self.results


def _settle(future: asyncio.Future[_Request], request: _Request) -> None:
    if not future.done():  # the awaiting task may have been cancelled (the client went away)
        future.set_result(request)


class _WriterThread:
    """Drains the group-commit queue for requests queued from an event loop (which must not block)."""

    def __init__(self, drain: Callable[[], None]) -> None:
        self._drain = drain
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="packtrace-ledger-writer", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopped:
                return
            self._drain()


class _Recorded(NamedTuple):
    """An entry already recorded for a claim's (actor, id)."""

    idx: int
    seq: int
    hash: str
    body: bytes


class _WriterConnection:
    """The writer's connection, kept from one group to the next and given back after a failure. Its
    commits are durable (`write_connection(durable=True)`): each signs a checkpoint that may be served
    as soon as it is committed."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held = contextlib.ExitStack()
        self._conn: Connection | None = None

    def get(self) -> Connection:
        if self._conn is None:
            self._conn = self._held.enter_context(write_connection(self._engine, durable=True))
        return self._conn

    def give_back(self) -> None:
        self._conn = None
        self._held.close()

    def systemic(self, exc: Exception) -> bool:
        """Whether `exc` comes from the database's state rather than from what was written: the connection
        went away, or an operational error (busy or locked, a deadlock, out of disk…; but not PostgreSQL's
        program limits, such as an index row too large, which a request's value can exceed). Writing
        the requests again one by one would only meet it again, each time."""
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        error = exc.orig if isinstance(exc, DBAPIError) else exc
        dbapi = self._engine.dialect.dbapi
        if dbapi is None or not isinstance(error, (dbapi.OperationalError, dbapi.InterfaceError)):
            return False
        return not str(getattr(error, "sqlstate", None) or "").startswith("54")


class _Written(NamedTuple):
    """A committed group: the log's new size, its Merkle frontier, and the time its entries were recorded."""

    size: int
    frontier: list[bytes]
    recorded_at: datetime


class _LateRejection(Exception):
    """Signatures of these requests failed after the group was written: roll back, write it without them."""

    def __init__(self, requests: list[_Request]) -> None:
        super().__init__(f"{len(requests)} request(s) with signatures that do not verify")
        self.requests = requests


@dataclass
class _Pending:
    """The transaction's view: packs as the batch has changed them so far."""

    conn: Connection
    now: datetime
    states: dict[str, PackState | None] = field(default_factory=dict)
    heads: dict[str, tuple[str | None, int]] = field(default_factory=dict)  # code -> (head hash, last seq)
    existed: set[str] = field(default_factory=set)
    orgs: dict[str, Org | None] = field(default_factory=dict)

    claimed: dict[tuple[str, str], tuple[bytes, Appended]] = field(default_factory=dict)  # in this group

    def org(self, org_id: str) -> Org | None:
        if org_id not in self.orgs:
            self.orgs[org_id] = registry.get_org(self.conn, org_id)
        return self.orgs[org_id]

    def snapshot(self) -> tuple[dict[str, PackState | None], dict[str, tuple[str | None, int]]]:
        return dict(self.states), dict(self.heads)

    def restore(self, saved: tuple[dict[str, PackState | None], dict[str, tuple[str | None, int]]]) -> None:
        self.states, self.heads = saved

    def pack(self, code: str) -> PackState | None:
        if code not in self.states:
            self.load([code])
        return self.states[code]

    def load(self, codes: Sequence[str]) -> None:
        wanted = sorted({c for c in codes if c not in self.states})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = driver_sql(
                self.conn, f"SELECT code, state, head, seq FROM pack WHERE code IN ({_marks(len(chunk))})", tuple(chunk)
            )
            for code, state, head, seq in rows.fetchall():
                self.states[code] = PackState.from_dict(state if isinstance(state, dict) else json.loads(state))
                self.heads[code] = (head, seq)
                self.existed.add(code)
            for code in chunk:
                self.states.setdefault(code, None)
                self.heads.setdefault(code, (None, -1))


class Ledger:
    def __init__(
        self,
        engine: Engine,
        signer: LogSigner,
        *,
        validator: Validator = DOMAIN,
        clock: Callable[[], datetime] = utcnow,
        verify_processes: int | None = None,
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.validator = validator
        self.clock = clock
        self._orgs: dict[str, Org] = {}  # organisations never change once registered
        self._queue_lock = threading.Lock()
        self._queue: list[_Request] = []
        self._writing = False
        self._frontier: tuple[int, list[bytes]] | None = None
        self._last_recorded: tuple[int, datetime] | None = None  # (size, recorded_at of its last entry)
        if verify_processes is None:
            verify_processes = 1 if (os.cpu_count() or 1) > 1 else 0
        self._signatures = SignatureChecker(verify_processes)
        self._public_keys: dict[str, tuple[str, bytes]] = {}
        self._writer_thread: _WriterThread | None = None  # started by the first append from an event loop
        self._checkpointer: WalCheckpointer | None = None  # SQLite: started by the first append

    # -- set-up -----------------------------------------------------------------------------------------

    def init(self) -> None:
        """Create the tables if missing and the head row; refuse a database of another log."""
        create_schema(self.engine)
        with write_connection(self.engine) as conn, conn.begin():
            row = conn.execute(select(HEAD.c.origin).where(HEAD.c.id == 1)).first()
            if row is None:
                conn.execute(insert(HEAD).values(id=1, size=0, origin=self.signer.origin))
            elif row.origin != self.signer.origin:
                raise ValueError(
                    f"this database holds the log {row.origin!r}, not {self.signer.origin!r}; "
                    "set PACKTRACE_LOG_ORIGIN to match"
                )

    def close(self) -> None:
        self._signatures.close()
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        if self._writer_thread is not None:
            self._writer_thread.stop()
            self._writer_thread = None

    # -- appending --------------------------------------------------------------------------------------

    def append_one(self, claim: Any, sig: Any, *, as_org: str | None = None) -> Appended:
        try:
            return self.append([(claim, sig)], as_org=as_org)[0]
        except BatchRejected as exc:
            raise exc.errors[0][1] from None  # one claim: its own error, not a one-item batch error

    def append(self, items: Sequence[tuple[Any, Any]], *, as_org: str | None = None) -> list[Appended]:
        """Append signed claims atomically, in order; answer retries of recorded claims idempotently."""
        if len(items) > MAX_BATCH:
            raise InvalidClaim(f"a batch holds at most {MAX_BATCH} events, found {len(items)}", code="too_many")
        if not items:
            return []
        return self._commit(self._checked(items, as_org))

    async def append_one_async(self, claim: Any, sig: Any, *, as_org: str | None = None) -> Appended:
        """`append_one` for an event loop, which it never blocks: the ledger's writer thread checks the
        claim and writes it with whatever else is queued, then settles the awaiting task. (A thread-pool
        hop per request, there and back, cost more than the append itself.)"""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_Request] = loop.create_future()

        def settled(request: _Request) -> None:
            loop.call_soon_threadsafe(_settle, future, request)

        request = _Request([], PendingChecks(self._signatures), [], unchecked=([(claim, sig)], as_org), settled=settled)
        if self._enqueue(request):
            self._writer().wake()
        await future
        try:
            return request.outcome()[0]
        except BatchRejected as exc:
            raise exc.errors[0][1] from None  # as append_one

    def _writer(self) -> _WriterThread:
        with self._queue_lock:
            if self._writer_thread is None:
                self._writer_thread = _WriterThread(self._drain)
            return self._writer_thread

    def _checked(self, items: Sequence[tuple[Any, Any]], as_org: str | None) -> _Request:
        """Step (1) for a batch: a request for the group commit, holding the claims that passed."""
        errors: dict[int, PacktraceError] = {}
        signed: list[SignedClaim] = []
        checking = self._signatures.start(len(items))
        job_positions: list[int] = []
        # (1): envelope, actor and key outside the lock; signatures start on another core.
        try:
            for pos, (claim, sig) in enumerate(items):
                try:
                    sc = parse_claim(claim, sig)
                    if as_org is not None and sc.actor != as_org:
                        raise AuthorisationError(
                            f"claim actor {sc.actor!r} is not the authenticated organisation {as_org!r}",
                            code="actor_mismatch",
                        )
                    public = self._owned_key(sc)
                except PacktraceError as exc:
                    errors[pos] = exc
                    continue
                signed.append(sc)
                checking.add((public, sc.signature(), sc.claim_bytes))
                job_positions.append(pos)
            if checking.shared:
                checking.flush()  # the worker has the whole batch, while the rules are applied and rows written
            else:
                checking.failures()  # a small batch is verified here, in the caller's thread, not by the writer
        except BaseException:
            checking.release()  # e.g. the database was unreachable for an unknown key: free the worker
            raise
        # Items refused already do not stop the others being checked, so the answer lists every failing
        # item; nothing is written unless all pass.
        return _Request(signed, checking, job_positions, errors)

    def _commit(self, request: _Request) -> list[Appended]:
        """Group commit: the first waiting thread writes every request queued meanwhile in one transaction
        (each request still succeeds or fails on its own), so concurrent single appends share one commit
        and one checkpoint."""
        if self._enqueue(request):
            self._drain()
        request.done.wait()
        return request.outcome()

    def _enqueue(self, request: _Request) -> bool:
        """Queue a request for the group commit; True if no thread is writing, so the caller must see that
        one does."""
        with self._queue_lock:
            self._queue.append(request)
            idle = not self._writing
            self._writing = True
        return idle

    def _drain(self) -> None:
        """Write the queued requests, a group per transaction, until the queue is empty (`_writing` makes
        this thread the only drainer). Consecutive groups share one connection; after a failed
        transaction it is given back, and the next one takes a fresh one."""
        connection = _WriterConnection(self.engine)
        try:
            while True:
                with self._queue_lock:
                    group, self._queue = self._queue[:GROUP_LIMIT], self._queue[GROUP_LIMIT:]
                    if not group:
                        self._writing = False
                        return
                for request in group:
                    if request.unchecked is not None:
                        self._check_queued(request)
                self._write_isolating(connection, [request for request in group if request.error is None])
                for request in group:
                    with contextlib.suppress(Exception):
                        request.checking.release()  # a worker held for checks nobody collected (if any)
                    request.done.set()
                    if request.settled is not None:
                        with contextlib.suppress(RuntimeError):  # its event loop is closed: nobody waits
                            request.settled(request)
        finally:
            connection.give_back()

    def _write_isolating(self, connection: _WriterConnection, requests: list[_Request]) -> None:
        """Write the requests in one transaction. If it fails, none was recorded: unless the failure is the
        database's state (`systemic`), write each half on its own, down to single requests, so that a
        request whose rows the database refuses (or that trips anything else) fails alone and the others
        are recorded."""
        if not requests:
            return
        try:
            self._write_requests(connection, requests)
        except Exception as exc:
            systemic = connection.systemic(exc)
            connection.give_back()
            if len(requests) > 1 and not systemic:
                middle = len(requests) // 2
                self._write_isolating(connection, requests[:middle])
                self._write_isolating(connection, requests[middle:])
                return
            failure = self._refused_by_storage(exc) if len(requests) == 1 else exc
            for request in requests:
                if request.error is None:
                    request.results, request.error = None, failure
        except BaseException as exc:  # e.g. KeyboardInterrupt: no request of these was recorded
            connection.give_back()
            for request in requests:
                if request.error is None:
                    request.results, request.error = None, exc

    def _write_requests(self, connection: _WriterConnection, requests: list[_Request]) -> None:
        """One transaction for the requests (again without those whose signatures fail, if any do)."""
        live = requests
        while live:
            for request in live:
                request.results, request.error = None, None
            conn = connection.get()
            try:
                with conn.begin():
                    written = self._write_group(conn, live)
            except _LateRejection as late:  # rolled back: write the group again without them
                live = [request for request in live if request not in late.requests]
                continue
            if written is not None:
                self._frontier = (written.size, written.frontier)
                self._last_recorded = (written.size, written.recorded_at)
                self._wal_committed()
            return

    def _refused_by_storage(self, exc: Exception) -> BaseException:
        """A request written alone failed with `exc`: a value the database cannot store is the request's own
        fault, a 422 (a NUL character or a number out of range: the driver's `DataError`; a PostgreSQL
        program limit, class 54, such as an index row too large). Anything else stays as it is."""
        dbapi = self.engine.dialect.dbapi
        error = exc.orig if isinstance(exc, DBAPIError) else exc
        too_large = str(getattr(error, "sqlstate", None) or "").startswith("54")  # PostgreSQL's program limits
        if too_large or isinstance(exc, DataError) or (dbapi is not None and isinstance(exc, dbapi.DataError)):
            return InvalidClaim(
                "the database cannot store a value of this claim (a NUL or other character it refuses, "
                "or a value out of range)",
                code="unstorable_claim",
            )
        return exc

    def _wal_committed(self) -> None:
        if is_sqlite(self.engine):
            if self._checkpointer is None:
                self._checkpointer = WalCheckpointer(self.engine)
            self._checkpointer.committed()

    def _check_queued(self, request: _Request) -> None:
        """Step (1), in the writer thread, for a request queued from an event loop."""
        assert request.unchecked is not None
        items, as_org = request.unchecked
        try:
            checked = self._checked(items, as_org)
        except BaseException as exc:  # e.g. the database was unreachable for an unknown key
            request.error = exc
            return
        request.claims, request.checking = checked.claims, checked.checking
        request.positions, request.rejected = checked.positions, checked.rejected
        request.unchecked = None

    def _owned_key(self, sc: SignedClaim) -> bytes:
        """The raw public key of the claim's key, which must belong to its actor. Public keys never change
        for a key id; revocation is checked again under the lock, against the time of recording."""
        found = self._public_keys.get(sc.key_id)
        if found is None:
            try:
                with self.engine.connect() as conn:
                    record = registry.get_keys(conn, [sc.key_id]).get(sc.key_id)
            except DataError:  # a key id the database cannot even hold (e.g. with a NUL) is no registered key
                record = None
            if record is None:
                raise InvalidClaim(f"unknown signing key {sc.key_id!r}", code="unknown_key")
            found = (record.org, record.public_key)
            self._public_keys[sc.key_id] = found
        owner, public = found
        if owner != sc.actor:
            raise AuthorisationError(
                f"key {sc.key_id!r} belongs to {owner!r}, not to the claim's actor {sc.actor!r}",
                code="key_not_owned",
            )
        return public

    @staticmethod
    def _collect_signature_failures(
        checking: PendingChecks,
        signed: Sequence[SignedClaim],
        positions: Sequence[int],
        errors: dict[int, PacktraceError],
    ) -> None:
        for n in checking.failures():
            sc = signed[n]
            errors[positions[n]] = bad_signature(sc)

    def _recording_time(self, conn: Connection, size: int) -> datetime:
        """Now, under the lock, but never before the log's last entry (see ledger/head.py)."""
        cached = self._last_recorded
        last = cached[1] if cached is not None and cached[0] == size else log_head.last_recorded(conn, size)
        return log_head.append_time(self.clock, last)

    def _load_frontier(self, conn: Connection, size: int) -> list[bytes]:
        cached = self._frontier
        if cached is not None and cached[0] == size:
            return list(cached[1])
        keys = merkle.frontier_keys(size)
        if not keys:
            return []
        rows = conn.execute(select(NODE.c.id, NODE.c.hash).where(NODE.c.id.in_([node_id(*k) for k in keys])))
        nodes = {node_key(r.id): bytes(r.hash) for r in rows}
        return [nodes[k] for k in keys]

    @staticmethod
    def _key_validity(conn: Connection, key_ids: set[str]) -> dict[str, tuple[datetime, datetime | None]]:
        """(valid_from, revoked_at) of each key, read under the lock: a revocation committed is in force."""
        if not key_ids:
            return {}
        rows = driver_sql(
            conn,
            f"SELECT key_id, valid_from, revoked_at FROM org_key WHERE key_id IN ({_marks(len(key_ids))})",
            tuple(key_ids),
        )
        validity: dict[str, tuple[datetime, datetime | None]] = {}
        for key_id, valid_from, revoked_at in rows.fetchall():
            validity[key_id] = (_read_time(valid_from), None if revoked_at is None else _read_time(revoked_at))
        return validity

    def _existing(self, conn: Connection, claims: Sequence[SignedClaim]) -> dict[tuple[str, str], _Recorded]:
        """The entries already recorded for these claims' (actor, id)."""
        found: dict[tuple[str, str], _Recorded] = {}
        by_actor: dict[str, list[str]] = {}
        for sc in claims:
            by_actor.setdefault(sc.actor, []).append(sc.id)
        for actor, ids in by_actor.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = driver_sql(  # a generic plan read every entry of the actor (see driver_sql)
                    conn,
                    "SELECT actor, claim_id, idx, seq, hash, body FROM entry "
                    f"WHERE actor = ? AND claim_id IN ({_marks(len(chunk))})",
                    (actor, *chunk),
                    custom_plan=True,
                )
                for row_actor, claim_id, idx, seq, digest, body in rows.fetchall():
                    found[(row_actor, claim_id)] = _Recorded(idx, seq, digest, bytes(body))
        return found

    def _write_group(self, conn: Connection, group: Sequence[_Request]) -> _Written | None:
        # (2): the lock, and the time of recording taken under it (ordered with key revocations).
        size = log_head.lock(conn)
        now = self._recording_time(conn, size)
        pending = _Pending(conn=conn, now=now, orgs=dict(self._orgs))
        rows: list[tuple[Any, ...]] = []
        touched: dict[str, int] = {}
        # What every request needs from the database, read once for the whole group.
        everything = [sc for request in group for sc in request.claims]
        existing = self._existing(conn, everything)
        keys = self._key_validity(conn, {sc.key_id for sc in everything})
        codes = [sc.pack for sc in everything]
        for sc in everything:
            origins = sc.claim["data"].get("from") if sc.type == "produced" else None
            if isinstance(origins, list):
                codes.extend(str(c) for c in origins)
        pending.load(codes)
        for request in group:
            saved = pending.snapshot()
            try:
                request.results = self._apply_request(
                    conn, pending, request, size + len(rows), now, rows, touched, existing, keys
                )
            except PacktraceError as exc:
                pending.restore(saved)
                request.error = exc
        self._orgs.update((k, v) for k, v in pending.orgs.items() if v is not None)
        if not rows:  # nothing new (retries only, or every request refused): their signatures still count
            self._reject_forged(group)
            return None

        # (5): write everything, then the checkpoint.
        leaves = [merkle.leaf_hash(row[-1]) for row in rows]
        frontier = self._load_frontier(conn, size)
        nodes, frontier = merkle.append_leaves(size, frontier, leaves)
        self._executemany(conn, ENTRY_COLUMNS, "entry", rows)
        self._executemany(conn, ("id", "hash"), "merkle_node", [(node_id(lv, i), h) for (lv, i), h in nodes])
        self._write_packs(conn, pending, touched)
        new_size = size + len(rows)
        driver_sql(conn, "UPDATE log_head SET size = ? WHERE id = 1", (new_size,)).close()
        root = merkle.root_from_frontier(frontier)
        note_text = self.signer.sign_checkpoint(new_size, root)
        driver_sql(
            conn,
            "INSERT INTO checkpoint (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
            (new_size, root, note_text, _timestamp(conn, now)),
        ).close()
        # Signatures last: the writes above overlapped with their checks. A forged one rolls all back.
        self._reject_forged(group)
        return _Written(new_size, frontier, now)

    def _reject_forged(self, group: Sequence[_Request]) -> None:
        late = [request for request in group if request.error is None and self._signatures_fail(request)]
        if late:
            raise _LateRejection(late)

    @staticmethod
    def _signatures_fail(request: _Request) -> bool:
        """Set the request's error if any of its signatures does not verify."""
        errors: dict[int, PacktraceError] = {}
        Ledger._collect_signature_failures(request.checking, request.claims, range(len(request.claims)), errors)
        if not errors:
            return False
        request.results = None
        request.error = BatchRejected(sorted({request.positions[n]: e for n, e in errors.items()}.items()))
        return True

    def _apply_request(
        self,
        conn: Connection,
        pending: _Pending,
        request: _Request,
        first_index: int,
        now: datetime,
        group_rows: list[tuple[Any, ...]],
        touched: dict[str, int],
        existing: Mapping[tuple[str, str], _Recorded],
        keys: Mapping[str, tuple[datetime, datetime | None]],
    ) -> list[Appended]:
        """Check one request against the state so far and stage its entries; raise BatchRejected (leaving
        `group_rows` and `touched` as they were) if any item fails."""
        claims = request.claims
        recorded_at = format_recorded_at(now)
        errors: dict[int, PacktraceError] = {}
        results: list[Appended | None] = [None] * len(claims)

        # (3): retries and reused ids.
        fresh: list[tuple[int, SignedClaim]] = []
        seen: set[tuple[str, str]] = set()
        for pos, sc in enumerate(claims):
            row = existing.get((sc.actor, sc.id))
            in_group = pending.claimed.get((sc.actor, sc.id))
            if row is not None or in_group is not None:
                if row is not None:
                    same = canonical(json.loads(row.body)["claim"]) == sc.claim_bytes
                    earlier = Appended(row.body, row.hash, row.idx, row.seq, created=False)
                else:
                    assert in_group is not None
                    same = in_group[0] == sc.claim_bytes
                    earlier = replace(in_group[1], created=False)
                if same:
                    results[pos] = earlier
                else:
                    errors[pos] = ConflictError(
                        f"claim id {sc.id} of {sc.actor!r} was already used for a different claim "
                        f"(entry {earlier.index})",
                        code="claim_id_reused",
                    )
                continue
            if (sc.actor, sc.id) in seen:
                errors[pos] = ConflictError(
                    f"claim id {sc.id} of {sc.actor!r} appears twice in the batch", code="claim_id_reused"
                )
                continue
            seen.add((sc.actor, sc.id))
            fresh.append((pos, sc))

        # (4): keys valid now, prev, domain rules.
        for n, exc in self.validator.batch_problems([sc.event for _, sc in fresh]):
            errors[fresh[n][0]] = exc

        rows: list[tuple[Any, ...]] = []
        staged: list[tuple[SignedClaim, Appended]] = []
        index = first_index
        for pos, sc in fresh:
            if pos in errors:
                continue
            try:
                validity = keys.get(sc.key_id)
                if validity is None:
                    raise InvalidClaim(f"unknown signing key {sc.key_id!r}", code="unknown_key")
                # A revocation read under the lock was committed before it: it is in force, whatever
                # this process's clock says (it took effect after every entry recorded before it).
                if validity[1] is not None:
                    raise AuthorisationError(f"key {sc.key_id!r} is revoked", code="key_revoked")
                if now < validity[0]:  # registered by a process whose clock runs ahead of this one's
                    raise AuthorisationError(
                        f"key {sc.key_id!r} is valid from {format_recorded_at(validity[0])}, after this "
                        f"entry's recording time {format_recorded_at(now)}",
                        code="key_not_yet_valid",
                    )
                head, last_seq = pending.heads.get(sc.pack, (None, -1))
                if sc.prev is not None and sc.prev != head:
                    raise ConflictError(
                        f"stale prev for pack {sc.pack}: the current head is {head or 'none'}",
                        code="stale_prev",
                    )
                state = self.validator.apply(pending.states.get(sc.pack), sc.event, pending)
                if sc.type == "corrected":
                    self._check_correction(conn, sc, pending, [*group_rows, *rows])
            except PacktraceError as exc:
                errors[pos] = exc
                continue
            seq = last_seq + 1
            data = entry_bytes(
                index=index,
                pack=sc.pack,
                seq=seq,
                prev=head,
                recorded_at=recorded_at,
                claim_bytes=sc.claim_bytes,
                sig=sc.sig,
            )
            digest = entry_hash(data)
            rows.append((index, sc.pack, seq, digest, sc.actor, sc.id, sc.type, sc.claim["at"], recorded_at, data))
            pending.states[sc.pack] = state
            pending.heads[sc.pack] = (digest, seq)
            appended = Appended(data, digest, index, seq, created=True)
            results[pos] = appended
            staged.append((sc, appended))
            index += 1

        if errors or request.rejected:  # then list its signature failures too; otherwise they come last
            self._collect_signature_failures(request.checking, claims, range(len(claims)), errors)
            every = {request.positions[n]: exc for n, exc in errors.items()} | request.rejected
            raise BatchRejected(sorted(every.items()))
        for sc, result in staged:
            touched[sc.pack] = result.index
            pending.claimed[(sc.actor, sc.id)] = (sc.claim_bytes, result)
        group_rows.extend(rows)
        return [r for r in results if r is not None]

    @staticmethod
    def _check_correction(conn: Connection, sc: SignedClaim, pending: _Pending, rows: list[tuple[Any, ...]]) -> None:
        """The ledger's half of the `corrected` rule: the target is an entry of this pack, and the actor
        wrote it (or is a regulator). The target is looked up among the pack's entries (`entry.hash` has
        no index: at scale its random keys made every append dirty a page per entry)."""
        target = str(sc.claim["data"]["target"])
        author = next((r[4] for r in rows if r[3] == target and r[1] == sc.pack), None)
        if author is None:
            row = driver_sql(conn, "SELECT actor FROM entry WHERE pack = ? AND hash = ?", (sc.pack, target)).fetchone()
            author = row[0] if row else None
        if author is None:
            raise InvalidPayload(f"'corrected' names entry {target}, which is not an entry of pack {sc.pack}")
        actor = pending.org(sc.actor)
        assert actor is not None  # apply() refused unknown actors
        check_correction_author(actor, author, target)

    @staticmethod
    def _executemany(conn: Connection, columns: Sequence[str], table: str, rows: list[tuple[Any, ...]]) -> None:
        """Insert many rows through the driver: the rows hold plain values already, and SQLAlchemy's per-row
        type processing cost a third of the append path."""
        driver_many(conn, f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({_marks(len(columns))})", rows)

    def _write_packs(self, conn: Connection, pending: _Pending, touched: Mapping[str, int]) -> None:
        inserts, updates = [], []
        for code, last_index in touched.items():
            state = pending.states[code]
            assert state is not None
            head, seq = pending.heads[code]
            binding = state.binding
            values = (
                str(state.status),
                state.custodian,
                state.manufacturer,
                state.maker_code,
                state.chemistry,
                state.production_date.isoformat() if state.production_date else None,
                binding.target if binding is not None and binding.kind == "vin" else None,
                head,
                seq,
                last_index,
                projection_json(state),
            )
            if code in pending.existed:
                updates.append((*values, code))
            else:
                inserts.append((code, *values))
        if inserts:
            self._executemany(conn, ("code", *PACK_COLUMNS), "pack", inserts)
        if updates:
            assignments = ", ".join(f"{name} = ?" for name in PACK_COLUMNS)
            driver_many(conn, f"UPDATE pack SET {assignments} WHERE code = ?", updates)

    # -- reading ----------------------------------------------------------------------------------------

    def size(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one())

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(CHECKPOINT).order_by(CHECKPOINT.c.size.desc()).limit(1)).first()
        return StoredCheckpoint(row.size, bytes(row.root), row.note) if row else None

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(CHECKPOINT).where(CHECKPOINT.c.size == size)).first()
        return StoredCheckpoint(row.size, bytes(row.root), row.note) if row else None

    def _resolve(self, conn: Connection, ranges: list[tuple[int, int]], size: int) -> list[bytes]:
        """The proof's hashes from the stored nodes, read in one query. Every node of a tree no larger than
        the log is stored, so a missing one means the size is beyond the log (checked only then)."""
        keys = sorted(merkle.proof_node_keys(ranges))
        nodes: dict[tuple[int, int], bytes] = {}
        for start in range(0, len(keys), 400):
            ids = tuple(node_id(*k) for k in keys[start : start + 400])
            rows = driver_sql(conn, f"SELECT id, hash FROM merkle_node WHERE id IN ({_marks(len(ids))})", ids)
            nodes.update((node_key(int(node)), bytes(digest)) for node, digest in rows.fetchall())
        if len(nodes) < len(keys) or size > self._frontier_size(conn):
            self._check_size(conn, size)
        return merkle.resolve_proof(ranges, nodes)

    def _frontier_size(self, conn: Connection) -> int:
        cached = self._frontier
        if cached is not None:
            return cached[0]  # the log only grows: a size we have seen committed is still covered
        return int(driver_sql(conn, "SELECT size FROM log_head WHERE id = 1").fetchone()[0])

    def _check_size(self, conn: Connection, size: int) -> None:
        current = int(conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one())
        if size > current:
            raise NotFoundError(f"tree size {size} is beyond the log's size {current}", code="beyond_log")

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        if not 0 <= index < size:
            raise InvalidClaim(f"index {index} is not inside a tree of size {size}", code="bad_proof_request")
        with self.engine.connect() as conn:
            return self._resolve(conn, merkle.inclusion_ranges(index, size), size)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        if not 0 < old <= new:
            raise InvalidClaim(
                f"a consistency proof needs 0 < from <= to, found {old}, {new}", code="bad_proof_request"
            )
        with self.engine.connect() as conn:
            return self._resolve(conn, merkle.consistency_ranges(old, new), new)

    def entries(self, start: int, end: int) -> list[tuple[int, str, bytes]]:
        """(index, hash, canonical bytes) for indices [start, end)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ENTRY.c.idx, ENTRY.c.hash, ENTRY.c.body)
                .where(ENTRY.c.idx >= start, ENTRY.c.idx < end)
                .order_by(ENTRY.c.idx)
            )
            return [(r.idx, r.hash, bytes(r.body)) for r in rows]

    def pack_entries(self, code: str, start: int = 0, limit: int | None = None) -> list[tuple[int, str, bytes]]:
        """(index, hash, canonical bytes) of the pack's chain from `seq` `start`, in `seq` order; at most
        `limit` of them (a chain has no length limit: readers page through it)."""
        sql = "SELECT idx, hash, body FROM entry WHERE pack = ? AND seq >= ? ORDER BY seq"
        params: tuple[Any, ...] = (code, start)
        if limit is not None:
            sql, params = sql + " LIMIT ?", (code, start, limit)
        with self.engine.connect() as conn:
            rows = driver_sql(conn, sql, params)
            return [(int(idx), str(digest), bytes(body)) for idx, digest, body in rows.fetchall()]

    def org(self, org_id: str) -> Org | None:
        """A registered organisation (remembered: organisations never change once registered)."""
        found = self._orgs.get(org_id)
        if found is None:
            with self.engine.connect() as conn:
                found = registry.get_org(conn, org_id)
            if found is not None:
                self._orgs[org_id] = found
        return found

    def pack_state(self, code: str) -> PackState | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(PACK.c.state).where(PACK.c.code == code)).first()
        return PackState.from_dict(row.state) if row else None

    def pack_head(self, code: str) -> tuple[str, int, int] | None:
        """(head hash, last seq, index of the last entry)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(PACK.c.head, PACK.c.seq, PACK.c.last_index).where(PACK.c.code == code)).first()
        return (row.head, row.seq, row.last_index) if row else None
