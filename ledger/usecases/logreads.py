"""Reading the log itself: its latest signed checkpoint, its key, its entries in index order, and
inclusion and consistency proofs."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from events.errors import InputError, NotFoundError
from ledger.format import note
from ledger.log import Ledger
from ledger.store import cosignatures, logmeta
from ledger.store import logreads as stored
from ledger.store.logreads import StoredCheckpoint
from ledger.usecases.access import Caller, require_whole_platform
from ledger.usecases.views import ConsistencyProof, InclusionProof, LogEntries, LogEntry, LogKey, LogKeyEvent

MAX_LOG_PAGE = 1_000


def served(ledger: Ledger, *, witnessed: bool) -> StoredCheckpoint:
    """The checkpoint the log serves, its note followed by every cosignature gathered for it: while
    witnesses are configured (`witnessed`), the one the last gathering round published (§4.3), else (or
    before any round) the latest."""
    with ledger.engine.connect() as conn:
        size = cosignatures.published_size(conn) if witnessed else None
        checkpoint = stored.latest_checkpoint(conn) if size is None else stored.checkpoint_at(conn, size)
        if checkpoint is None:
            raise NotFoundError("the log is empty: no checkpoint has been signed yet", code="empty_log")
        return replace(checkpoint, note=checkpoint.note + cosignatures.lines_at(conn, checkpoint.size))


def latest_checkpoint(ledger: Ledger, *, witnessed: bool = False) -> str:
    """The checkpoint note the log serves (C2SP tlog-checkpoint) with its cosignature lines (`served`)."""
    return served(ledger, witnessed=witnessed).note


def log_key(ledger: Ledger) -> LogKey:
    """The key in force by the log's own entries (both during a rollover) and those entries."""
    with ledger.engine.connect() as conn:
        state = logmeta.key_state_at(conn, None)
        events = logmeta.key_entries(conn)
    current = ledger.signer.verifier_key if state is None else state.current
    raw = note.parse_verifier_key(current).public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return LogKey(
        origin=ledger.signer.origin,
        verifier_key=current,
        public_key=base64.b64encode(raw).decode(),
        next_verifier_key=None if state is None else state.next,
        key_events=[LogKeyEvent(index=e.index, entry=json.loads(e.body), checkpoint=e.checkpoint) for e in events],
    )


def log_entries(ledger: Ledger, caller: Caller, start: int, end: int | None = None) -> LogEntries:
    """Entries [start, end) in index order, at most 1,000; `end` defaults to a full page or the log's end."""
    require_whole_platform(caller, "read the log's entries")
    if start < 0:
        raise InputError(f"start must not be negative, found {start}", code="invalid_range")
    if end is not None and end < start:
        raise InputError(f"end {end} is before start {start}", code="invalid_range")
    if end is not None and end - start > MAX_LOG_PAGE:
        raise InputError(
            f"at most {MAX_LOG_PAGE} entries a page: [{start}, {end}) holds {end - start}",
            code="range_too_large",
        )
    size = ledger.size()
    stop = max(start, min(start + MAX_LOG_PAGE if end is None else end, size))
    entries = [LogEntry(index=i, hash=h, entry=json.loads(body)) for i, h, body in ledger.entries(start, stop)]
    return LogEntries(start=start, end=stop, tree_size=size, entries=entries)


def iter_entries(ledger: Ledger, *, page: int = MAX_LOG_PAGE) -> Iterator[bytes]:
    """Every entry's canonical bytes in index order (for `packtrace export`)."""
    size = ledger.size()
    for start in range(0, size, page):
        for _, _, body in ledger.entries(start, min(start + page, size)):
            yield body


def inclusion_proof(ledger: Ledger, index: int, size: int) -> InclusionProof:
    hashes = ledger.inclusion_proof(index, size)
    return InclusionProof(index=index, tree_size=size, hashes=[h.hex() for h in hashes])


def consistency_proof(ledger: Ledger, old: int, new: int) -> ConsistencyProof:
    hashes = ledger.consistency_proof(old, new)
    return ConsistencyProof(old=old, new=new, hashes=[h.hex() for h in hashes])
