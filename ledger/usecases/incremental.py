"""`packtrace verify --incremental`: check only what the log added since a checkpoint the verifier itself
verified before (docs/operations.md, "Incremental verify").

The verifier keeps that checkpoint — the signed note, as the log served it — in its own state file; it is
never read from the database. From it, against one snapshot of the database:

    (1) the stored checkpoint verifies with the log's key (else the state file is refused: nothing else
        is trusted from it) and names this log;
    (2) the log's latest checkpoint verifies with the keys that must sign it, and the consistency proof
        (RFC 9162 §2.1.4) built from the stored Merkle nodes leads from the verified checkpoint to it: the
        log at the new size extends the verified one, so no entry before the verified size was changed,
        removed or inserted since (a rewritten or forked log is refused here);
    (3) the entries after the verified size: each is canonical, hashes to its stored hash and is chained to
        its pack's previous entry (`seq`, `prev`), its signature verifies with the key valid at the entry;
        and the verified tree with these entries appended gives the latest checkpoint's signed root;
    (4) the replay: each pack those entries touch is folded through the domain rules from its first entry,
        as the full verify does. Its earlier entries are tied to the verified tree without trusting the
        database: their chain links are checked, and the last one (whose hash the later ones chain to) by
        an inclusion proof in the verified tree; the same for the registry's chains, replayed in full. A
        pack the rules ask about (an original repurposed, a lot, a replaced module) is folded the same way
        up to the entry that asks. The replayed states of the touched packs and the registry equal the
        stored projections.

Left to the last full verify (`packtrace verify` without `--incremental`): the stored bytes of entries
before the verified size that are not re-read here (proved by the checkpoint that verify verified, but a
later edit of such a row is not seen until the next full verify or a proof served from it); the projections
of packs with no new entry; the checkpoints between the two sizes; the head commitments; the corrected
values and component links; the Merkle nodes not used by the proofs.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from events.errors import PacktraceError, VerificationError
from events.registry import CALENDAR_SUBJECT, HEADS_SUBJECT, LOG_SUBJECT, is_subject
from events.state import Event, PackState
from events.timestamps import from_rfc3339
from ledger.append.rules import Validator
from ledger.format import logkeys, merkle, note
from ledger.store import logmeta, registry, snapshot
from ledger.store.db import Connection, Engine
from ledger.store.snapshot import EntryRow
from ledger.usecases.verify import (
    CHUNK,
    PREDATES_REGISTRY,
    RECORDED,
    Problem,
    Progress,
    Report,
    _check_registry,
    _check_row,
    _Replay,
    _ReplayContext,
    _verify,
    check_signatures,
)

Problems = Callable[[int, int, str], None]


@dataclass
class IncrementalReport(Report):
    since: int = 0  # the size verified before (0: a full verify ran)
    checkpoint: str | None = None  # the checkpoint now verified, to store in the state file; None on failure
    size: int = 0  # its size


def verify_since(
    engine: Engine,
    log_key: str,
    verified: str | None,
    *,
    validator: Validator = RECORDED,
    progress: Progress | None = None,
    max_problems: int = 1000,
) -> IncrementalReport:
    """Verify what the log added since the `verified` checkpoint note (None: everything, a full verify).
    Raises VerificationError when the state file or the log's history cannot be trusted at all; otherwise
    the report's problems (`report.raise_first()`), and its `checkpoint` to store when there are none."""
    state = registry.registry_state(engine)
    if state.orgs and not state.logged:
        return IncrementalReport(problems=[Problem(0, 5, PREDATES_REGISTRY)])
    with snapshot.snapshot(engine) as conn:
        latest = snapshot.checkpoints(conn)
        if verified is None:
            full = _verify(conn, log_key, validator, progress, max_problems)
            report = IncrementalReport(full.entries, full.checkpoints, full.packs, full.problems, full.timings)
        else:
            report = _incremental(conn, log_key, verified, validator, progress, max_problems)
    if report.ok and latest:
        report.checkpoint, report.size = latest[-1].note, latest[-1].size
    return report


def _open_verified(verified: str, log_key: str, history: logkeys.KeyHistory) -> note.Checkpoint:
    """(1): the state file's checkpoint, signed by one of the log's keys, of this log."""
    name = note.parse_verifier_key(log_key).name
    try:
        body, _ = note.open_note_any(verified, list(history.all_keys()))
        checkpoint = note.parse_checkpoint(body)
    except (PacktraceError, ValueError) as exc:
        raise VerificationError(
            f"the verified checkpoint in the state file does not verify with the log's key "
            f"{logkeys.label(log_key)}: {exc}"
        ) from None
    if checkpoint.origin != name:
        raise VerificationError(
            f"the verified checkpoint in the state file is of log {checkpoint.origin!r}, not {name!r}"
        )
    return checkpoint


def _incremental(
    conn: Connection, log_key: str, verified: str, validator: Validator, progress: Progress | None, max_problems: int
) -> IncrementalReport:
    t0 = time.perf_counter()
    history, key_problems = logkeys.checked_history(log_key, logmeta.log_entries(conn))
    old = _open_verified(verified, log_key, history)
    m = old.size
    report = IncrementalReport(since=m)
    problems = report.problems

    def problem(index: int, step: int, message: str) -> None:
        if len(problems) < max_problems:
            problems.append(Problem(index, step, message))

    for index, message in key_problems:
        if index >= m:
            problem(index, 4, f"the log's key: {message}")

    # (2): the latest checkpoint, and its consistency with the verified one.
    stored = snapshot.checkpoints(conn)
    if not stored or stored[-1].size < m:
        have = stored[-1].size if stored else 0
        raise VerificationError(f"the log's latest checkpoint has size {have}, fewer than the {m} entries verified "
                                "before: the log was truncated or replaced")  # fmt: skip
    latest = stored[-1]
    n = latest.size
    signers = [note.parse_verifier_key(k) for k in history.signers(n, m)]
    try:
        new = note.parse_checkpoint(note.open_note_all(latest.note, signers))
    except (PacktraceError, ValueError) as exc:
        raise VerificationError(f"the log's latest checkpoint (size {n}) does not verify: {exc}") from None
    if new.origin != old.origin or new.size != n:
        raise VerificationError(f"the log's latest checkpoint (size {n}) does not match its stored row")
    ranges = merkle.consistency_ranges(m, n)
    frontier_keys = merkle.frontier_keys(m)
    nodes = snapshot.nodes(conn, merkle.proof_node_keys(ranges) | set(frontier_keys))
    try:
        merkle.verify_consistency(m, n, merkle.resolve_proof(ranges, nodes), old.root, new.root)
        frontier = [nodes[k] for k in frontier_keys]
        if merkle.root_from_frontier(frontier) != old.root:
            raise VerificationError("the stored Merkle nodes of the verified tree do not give its root")
    except (VerificationError, KeyError) as exc:
        raise VerificationError(
            f"the log at size {n} is not consistent with the checkpoint verified at size {m}: {exc}"
        ) from None
    report.checkpoints = 1
    report.timings["consistency"] = time.perf_counter() - t0

    # (3): the entries after the verified size, their leaves appended to the verified tree.
    t0 = time.perf_counter()
    added: list[EntryRow] = []
    leaves: list[bytes] = []
    for chunk in snapshot.entries_between(conn, m, n, CHUNK):
        if progress:
            progress("entries", chunk[0].idx - m, n - m)
        added.extend(chunk)
        leaves.extend(merkle.leaf_hash(row.body) for row in chunk)
    _, frontier = merkle.append_leaves(m, frontier, leaves)
    if merkle.root_from_frontier(frontier) != new.root:
        problem(max(n - 1, 0), 4, f"checkpoint at size {n}: signed root {new.root.hex()} but the verified tree and "
                                  f"the entries after it give {merkle.root_from_frontier(frontier).hex()}")  # fmt: skip
    report.entries = len(added)
    report.timings["entries"] = time.perf_counter() - t0

    # (4): the chains the new entries touch and the registry's, from their first entry.
    t0 = time.perf_counter()
    touched = {row.pack for row in added}
    chains = touched | {LOG_SUBJECT, HEADS_SUBJECT, CALENDAR_SUBJECT} | set(snapshot.org_subjects(conn))
    earlier = snapshot.chain_entries(conn, chains, m)
    _check_included(earlier, m, old.root, conn, problem)
    replay = _Replay(validator, problem)
    lazy = _LazyPacks(conn, m, old.root, touched, replay, problem)
    replay.ctx = lazy
    replay.prefold(snapshot.migrated_registry(conn))
    heads: dict[str, tuple[str, int, int]] = {}
    expected = m
    for row in sorted(earlier, key=lambda r: r.idx) + added:
        fresh = row.idx >= m
        entry = _check_row(row, hashlib.sha256(row.body).hexdigest(), expected if fresh else row.idx, heads, problem)
        if fresh:
            expected = max(expected, row.idx) + 1
        if entry is not None:
            lazy.index = lazy.main = row.idx
            try:
                replay.entry(row.idx, row.body, entry)
            except (ValueError, KeyError, TypeError) as exc:
                problem(row.idx, 1, f"stored bytes are not a well-formed entry: {exc!r}")
            lazy.folded(row.pack, row.idx)
    if expected != n:
        problem(expected, 2, f"the checkpoint says {n} entries but {expected} are stored")
    report.timings["replay"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    check_signatures([s for s in replay.signed if s[0] >= m], problem)
    report.timings["signatures"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    packs = {chain for chain in touched if not is_subject(chain)}
    stored_states = {r.code: (r.state, r.last_index) for r in snapshot.projections_of(conn, packs)}
    report.packs = len(packs)
    for code in sorted(packs):
        replayed = replay.states.get(code)
        if code not in stored_states:
            problem(replay.last_index.get(code, n), 5, f"pack {code} has entries but no stored state")
        elif replayed is not None and replayed.to_dict() != PackState.from_dict(stored_states[code][0]).to_dict():
            problem(stored_states[code][1], 5, f"pack {code}: stored state differs from the replayed state")
    _check_registry(replay, registry.org_records(conn), registry.all_keys(conn), n, problem)
    report.timings["projections"] = time.perf_counter() - t0
    return report


def _check_included(rows: list[EntryRow], size: int, root: bytes, conn: Connection, problem: Problems) -> None:
    """Each chain's last entry below `size` is in the verified tree: an inclusion proof from the stored nodes
    against the verified root (the chain's earlier entries are tied to it by their `prev` links)."""
    last: dict[str, EntryRow] = {}
    for row in rows:
        if row.pack not in last or row.idx > last[row.pack].idx:
            last[row.pack] = row
    paths = {row.idx: merkle.inclusion_ranges(row.idx, size) for row in last.values()}
    nodes = snapshot.nodes(conn, merkle.proof_node_keys(r for ranges in paths.values() for r in ranges))
    for row in last.values():
        try:
            proof = merkle.resolve_proof(paths[row.idx], nodes)
            merkle.verify_inclusion(merkle.leaf_hash(row.body), row.idx, size, proof, root)
        except VerificationError as exc:
            problem(row.idx, 4, f"entry {row.idx} is not in the tree verified at size {size}: {exc}")


class _LazyPacks(_ReplayContext):
    """The replay's context for packs with no entry after the verified size: the first time the rules ask
    about one, its chain is read (and tied to the verified tree), then folded up to the entry that asks.
    While such a pack's entry is folded, a pack the replay folds itself is seen as it was at that entry
    (each state it passed through is kept by index), not as it is at the entry the replay has reached."""

    def __init__(
        self, conn: Connection, size: int, root: bytes, touched: set[str], replay: _Replay, problem: Problems
    ) -> None:
        super().__init__(replay.registry, replay.states)
        self.conn, self.size, self.root, self.replay, self.problem = conn, size, root, replay, problem
        self.touched = touched
        self.index = self.main = 0  # the entry being folded; the replay's own entry
        self.lazy: dict[str, PackState | None] = {}
        self.pending: dict[str, list[EntryRow]] = {}
        self.history: dict[str, tuple[list[int], list[PackState | None]]] = {}

    def folded(self, chain: str, index: int) -> None:
        """The replay folded `chain`'s entry at `index` (a pack's: keep the state it made)."""
        if chain in self.states:
            indices, states = self.history.setdefault(chain, ([], []))
            indices.append(index)
            states.append(self.states[chain])

    def pack(self, code: str) -> PackState | None:
        if code in self.touched:  # a pack the replay folds itself (None: not begun)
            if self.index == self.main:
                return self.states.get(code)
            indices, states = self.history.get(code, ([], []))
            at = bisect.bisect_left(indices, self.index)
            return states[at - 1] if at else None
        if code not in self.pending:
            rows = sorted(snapshot.chain_entries(self.conn, [code], self.size), key=lambda r: r.idx)
            _check_included(rows, self.size, self.root, self.conn, self.problem)
            heads: dict[str, tuple[str, int, int]] = {}
            for row in rows:  # the chain's links, down to its first entry
                _check_row(row, hashlib.sha256(row.body).hexdigest(), row.idx, heads, self.problem)
            self.pending[code], self.lazy[code] = rows, None
        self._advance(code)
        return self.lazy[code]

    def _advance(self, code: str) -> None:
        rows, upto = self.pending[code], self.index
        at, now = self.index, self.now
        while rows and rows[0].idx < upto:
            row = rows.pop(0)
            entry = json.loads(row.body)
            claim = entry["claim"]
            event = Event(claim["pack"], claim["type"], from_rfc3339(claim["at"]), claim["actor"], claim["data"])
            self.index, self.now = row.idx, from_rfc3339(entry["recorded_at"])
            try:
                self.lazy[code] = self.replay.validator.apply(self.lazy[code], event, self)
            except PacktraceError as exc:
                self.problem(row.idx, 5, f"replay refuses {event.type} of pack {event.pack}: {exc.message}")
        self.index, self.now = at, now
