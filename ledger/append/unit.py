"""The append's unit of work: one transaction for a group of requests, serialised on the log head.

    (2) lock the log head and take the time of recording under it (key revocations take the same lock:
        ledger.append.head);
    (3), (4) each request against the state so far (ledger.append.steps), the database read once for the
        whole group (ledger.append.pending);
    (5) insert the entries and the new Merkle nodes, update the pack projections (and the corrections'), the
        head, sign and store the checkpoint; collect the signature checks (they overlapped with all of this);
        commit.
A request refused in (3) or (4) leaves the others; a signature found forged in (5) rolls the whole
transaction back (`LateRejection`) for the group commit to write it again without that request. The
frontier and the last recording time are remembered from one commit to the next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

from events.errors import PacktraceError
from events.registry import OrgRecord
from ledger.append.head import append_time, last_recorded
from ledger.append.pending import OrgReader, Pending
from ledger.append.request import Request
from ledger.append.rules import Validator
from ledger.append.steps import apply_request
from ledger.format import merkle
from ledger.format.logkey import LogSigner
from ledger.store import appending, correctionrows, linkrows, logmeta
from ledger.store import head as stored_head
from ledger.store.driver import Connection


class Written(NamedTuple):
    """A committed group: the log's new size, its Merkle frontier, and the time its entries were recorded."""

    size: int
    frontier: list[bytes]
    recorded_at: datetime


def write_log(
    conn: Connection,
    signer: LogSigner,
    size: int,
    frontier: list[bytes],
    rows: Sequence[appending.EntryRow],
    now: datetime,
) -> Written:
    """(5) for the log itself: the staged entries, their Merkle nodes, the head and the signed checkpoint.
    (Pack projections are the caller's; registry projections too.)"""
    leaves = [merkle.leaf_hash(row[-1]) for row in rows]
    nodes, new_frontier = merkle.append_leaves(size, frontier, leaves)
    appending.insert_entries(conn, rows)
    appending.insert_nodes(conn, nodes)
    new_size = size + len(rows)
    stored_head.set_size(conn, new_size)
    root = merkle.root_from_frontier(new_frontier)
    keys = logmeta.checkpoint_keys(conn, signer, size, rows)  # during a log key rollover: old and new
    appending.insert_checkpoint(conn, new_size, root, signer.sign_checkpoint(new_size, root, keys), now)
    return Written(new_size, new_frontier, now)


class LateRejection(Exception):
    """Signatures of these requests failed after the group was written: the transaction rolled back."""

    def __init__(self, requests: list[Request]) -> None:
        super().__init__(f"{len(requests)} request(s) with signatures that do not verify")
        self.requests = requests


class Appender:
    def __init__(
        self,
        signer: LogSigner,
        validator: Validator,
        clock: Callable[[], datetime],
        read_org: OrgReader,
        committed: Callable[[], None],
    ) -> None:
        self.signer = signer
        self.read_org = read_org
        self.validator = validator
        self.clock = clock
        self.committed = committed  # told after each commit (SQLite: the WAL checkpointer)
        # organisations as the registry held them after this appender's last commit: a registry entry
        # written since (by anyone) grew the log, so a size other than ours clears them
        self.orgs: dict[str, OrgRecord] = {}
        self.frontier: tuple[int, list[bytes]] | None = None  # (size, frontier) as last committed
        self.last_recorded: tuple[int, datetime] | None = None  # (size, recorded_at of its last entry)

    def write(self, conn: Connection, group: Sequence[Request]) -> None:
        """The group's transaction: each request settled (results or error), committed or rolled back."""
        for request in group:
            request.results, request.error = None, None
        with conn.begin():
            written = self.write_group(conn, group)
        if written is not None:
            self.frontier = (written.size, written.frontier)
            self.last_recorded = (written.size, written.recorded_at)
            self.signer.committed(written.size)
            self.committed()

    def write_group(self, conn: Connection, group: Sequence[Request]) -> Written | None:
        """Inside the transaction: steps (2) to (5); None if nothing new was written."""
        size = stored_head.lock(conn)  # (2)
        if self.last_recorded is None or self.last_recorded[0] != size:
            self.orgs.clear()
        now = self.recording_time(conn, size)
        claims = [sc for request in group for sc in request.claims]
        pending = Pending.read(conn, size, now, claims, self.orgs, self.read_org)
        for request in group:
            saved = pending.snapshot()
            try:
                request.results = apply_request(pending, request, self.validator)
            except PacktraceError as exc:
                pending.restore(saved)
                request.error = exc
        self.orgs.update((k, v) for k, v in pending.orgs.items() if v is not None)
        written = self.store(conn, pending) if pending.rows else None
        # Signatures last: the writes above overlapped with their checks. A forged one rolls all back. (With
        # nothing new written, retries only or every request refused, their signatures still count.)
        late = [request for request in group if request.error is None and request.refuse_if_forged()]
        if late:
            raise LateRejection(late)
        return written

    def recording_time(self, conn: Connection, size: int) -> datetime:
        """Now, under the lock, but never before the log's last entry (see ledger.append.head)."""
        cached = self.last_recorded
        last = cached[1] if cached is not None and cached[0] == size else last_recorded(conn, size)
        return append_time(self.clock, last)

    def load_frontier(self, conn: Connection, size: int) -> list[bytes]:
        cached = self.frontier
        if cached is not None and cached[0] == size:
            return list(cached[1])
        return appending.frontier(conn, size)

    def store(self, conn: Connection, pending: Pending) -> Written:
        """(5): the entries, their Merkle nodes, the packs' projections, the head, the signed checkpoint."""
        frontier = self.load_frontier(conn, pending.size)
        appending.write_packs(conn, pending.changed_packs(), pending.existed)
        if pending.corrections:
            correctionrows.add(conn, pending.corrections)
        if pending.links:
            linkrows.write(conn, [folded for _, folded in pending.links])
        return write_log(conn, self.signer, pending.size, frontier, pending.rows, pending.now)
