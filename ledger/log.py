"""The ledger: appending signed claims to the log, and reading the log back.

`Ledger` puts the parts together and keeps the API its callers use:
    (1) outside the lock, each claim is checked and its signature check started (ledger.append.intake);
    the request is queued for the group commit (ledger.groupcommit), whose writer runs
    (2)-(5) in one transaction for every request queued meanwhile (ledger.append.unit: lock the log head,
    take the recording time, check and stage each request, write entries, nodes, packs and the signed
    checkpoint; any failure rolls the whole group back, and a group that fails is written again in halves
    so one request's failure fails it alone).
The read side delegates to ledger.store.logreads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from events.errors import InvalidClaim
from events.orgs import Org
from events.state import PackState
from ledger.append.head import utcnow
from ledger.append.intake import MAX_BATCH, Intake
from ledger.append.outcome import Appended, BatchRejected
from ledger.append.registry import AfterWrite, RegistryItem, import_registry, write_registry
from ledger.append.rules import DOMAIN, Validator
from ledger.append.unit import Appender
from ledger.format import merkle
from ledger.format.logkey import LogSigner
from ledger.format.signatures import SignatureChecker
from ledger.groupcommit.commit import GroupCommit, Queued
from ledger.store import correctionrows, handoverrows, head, linkrows, logreads, registry, reportreset
from ledger.store.db import WalCheckpointer, create_schema, is_sqlite, write_connection
from ledger.store.driver import Engine
from ledger.store.logreads import LoggedEntry, PackHead, StoredCheckpoint
from ledger.usecases import components, corrections


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
        if verify_processes is None:
            verify_processes = 1 if (os.cpu_count() or 1) > 1 else 0
        self.intake = Intake(engine, SignatureChecker(verify_processes))
        self.appender = Appender(signer, validator, clock, registry.get_org_record, self._committed)
        self.commits = GroupCommit(engine, self.intake.check, self.appender.write)
        self._checkpointer: WalCheckpointer | None = None  # SQLite: started by the first append

    @property
    def validator(self) -> Validator:
        return self.appender.validator

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.appender.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.appender.clock = clock

    # -- set-up -----------------------------------------------------------------------------------------

    def init(self) -> None:
        """Create the tables if missing and the head row; refuse a database of another log. A database
        made before the registry was in the log gets its new columns (its rows become entries with
        `record_registry`, once the log key is known to be the log's own); one made before corrections
        counted gets their projection (ledger.usecases.corrections), one made before modules and cells were
        linked gets the links its entries make (ledger.usecases.components)."""
        corrections_counted = correctionrows.exists(self.engine)
        links_counted = linkrows.exists(self.engine)
        create_schema(self.engine)
        registry.add_missing_columns(self.engine)
        reportreset.upgrade_day_table(self.engine)
        handoverrows.upgrade_table(self.engine)
        with write_connection(self.engine) as conn, conn.begin():
            origin = head.claim_head(conn, self.signer.origin)
            if not corrections_counted:
                corrections.rebuild(conn)
            if not links_counted:
                components.rebuild(conn)
        if origin != self.signer.origin:
            raise ValueError(
                f"this database holds the log {origin!r}, not {self.signer.origin!r}; set PACKTRACE_LOG_ORIGIN to match"
            )

    def record_registry(self) -> int:
        """A database made before the registry was in the log: append its organisations and keys as the
        log's first registry entries (ledger.append.registry.import_registry); how many were appended."""
        with write_connection(self.engine, durable=True) as conn, conn.begin():
            written = import_registry(conn, self.signer, self.clock)
        return 0 if written is None else len(written.appended)

    def append_registry(self, items: Sequence[RegistryItem], *, after: AfterWrite | None = None) -> list[Appended]:
        """Append registry claims (events.registry) in one transaction of their own, with the projection
        rows and whatever `after` writes beside them; all or none."""
        with write_connection(self.engine, durable=True) as conn, conn.begin():
            return write_registry(conn, self.signer, self.clock, items, after=after).appended

    def close(self) -> None:
        self.intake.close()
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        self.commits.close()

    def _committed(self) -> None:
        if is_sqlite(self.engine):
            if self._checkpointer is None:
                self._checkpointer = WalCheckpointer(self.engine)
            self._checkpointer.committed()

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
        request = Queued()
        self.intake.check(request, items, as_org)
        return self.commits.commit(request)

    async def append_one_async(self, claim: Any, sig: Any, *, as_org: str | None = None) -> Appended:
        """`append_one` for an event loop, which it never blocks: the ledger's writer thread checks the
        claim and writes it with whatever else is queued, then settles the awaiting task."""
        try:
            return (await self.commits.commit_async([(claim, sig)], as_org))[0]
        except BatchRejected as exc:
            raise exc.errors[0][1] from None  # as append_one

    # -- reading ----------------------------------------------------------------------------------------

    def size(self) -> int:
        with self.engine.connect() as conn:
            return head.size(conn)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self.engine.connect() as conn:
            return logreads.latest_checkpoint(conn)

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        with self.engine.connect() as conn:
            return logreads.checkpoint_at(conn, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        if not 0 <= index < size:
            raise InvalidClaim(f"index {index} is not inside a tree of size {size}", code="bad_proof_request")
        return self._proof(merkle.inclusion_ranges(index, size), size)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        if not 0 < old <= new:
            raise InvalidClaim(
                f"a consistency proof needs 0 < from <= to, found {old}, {new}", code="bad_proof_request"
            )
        return self._proof(merkle.consistency_ranges(old, new), new)

    def _proof(self, ranges: list[merkle.Range], size: int) -> list[bytes]:
        committed = self.appender.frontier  # a size seen committed is still covered: the log only grows
        with self.engine.connect() as conn:
            return logreads.proof_hashes(conn, ranges, size, None if committed is None else committed[0])

    def entries(self, start: int, end: int) -> list[LoggedEntry]:
        """(index, hash, canonical bytes) for indices [start, end)."""
        with self.engine.connect() as conn:
            return logreads.entries(conn, start, end)

    def pack_entries(self, code: str, start: int = 0, limit: int | None = None) -> list[LoggedEntry]:
        """(index, hash, canonical bytes) of the pack's chain from `seq` `start`, in `seq` order; at most
        `limit` of them (a chain has no length limit: readers page through it)."""
        with self.engine.connect() as conn:
            return logreads.pack_entries(conn, code, start, limit)

    def org(self, org_id: str) -> Org | None:
        """A registered organisation as it stands now."""
        with self.engine.connect() as conn:
            return registry.get_org(conn, org_id)

    def pack_state(self, code: str) -> PackState | None:
        with self.engine.connect() as conn:
            return logreads.pack_state(conn, code)

    def pack_head(self, code: str) -> PackHead | None:
        """(head hash, last seq, index of the last entry)."""
        with self.engine.connect() as conn:
            return logreads.pack_head(conn, code)
