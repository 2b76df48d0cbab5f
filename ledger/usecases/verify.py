"""`packtrace verify`: check a whole database against the ledger format (DESIGN §3.5).

    (1) every entry's stored bytes are canonical RFC 8785 JSON and hash to its stored hash;
    (2) `index` is dense from 0, `seq` dense per pack, every `prev` names the pack's previous entry;
    (3) every claim signature verifies with the key valid at the entry's `recorded_at`;
    (4) every stored checkpoint is signed by the log key and its root equals the root recomputed from
        the entries at its size (so consecutive checkpoints are consistent); the stored Merkle nodes
        equal the recomputed ones;
    (5) replaying the events through the domain rules reproduces the stored pack projections. The replay
        folds each entry as recorded (`events.rules.refold`): the admission checks added after entries
        were first recorded (event times before 2000 or before production, plausible ranges in payloads)
        are not held against an entry, so an honest log recorded before them still verifies.

All steps run to the end and collect problems; the report names the problem at the lowest index first,
because one edit often shows up in several steps (an edited entry breaks its hash, its signature and its
successor's `prev`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature

from events import rules
from events.batch import batch_problems
from events.errors import PacktraceError, VerificationError
from events.orgs import Org
from events.state import Event, PackState
from events.timestamps import from_rfc3339
from ledger.append.rules import Validator
from ledger.format import merkle, note
from ledger.format.canonical import is_canonical
from ledger.store import registry, snapshot
from ledger.store.db import Connection, Engine
from ledger.store.snapshot import EntryRow, NodeRow

Progress = Callable[[str, int, int], None]
CHUNK = 20_000
_CLAIM_START = len(b'{"claim":')


@dataclass(frozen=True, order=True)
class Problem:
    index: int  # the entry index at fault; for a checkpoint problem, its size (first index not covered)
    step: int
    message: str

    def __str__(self) -> str:
        return f"step {self.step}: {self.message}"


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    packs: int = 0
    problems: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_first(self) -> None:
        if self.problems:
            first = min(self.problems)
            more = len(self.problems) - 1
            suffix = f" ({more} more problem(s))" if more else ""
            error = VerificationError(f"entry {first.index}: {first}{suffix}")
            error.index = first.index  # type: ignore[attr-defined]
            raise error


class RecordedRules:
    """The domain rules as the replay applies them to entries already in the log (see step 5)."""

    apply = staticmethod(rules.refold)
    batch_problems = staticmethod(batch_problems)


RECORDED = RecordedRules()


class _ReplayContext:
    def __init__(self, orgs: dict[str, Org], states: dict[str, PackState]) -> None:
        self.orgs = orgs
        self.states = states
        self.now = datetime.now(UTC)

    def org(self, org_id: str) -> Org | None:
        return self.orgs.get(org_id)

    def pack(self, code: str) -> PackState | None:
        return self.states.get(code)


def verify_database(
    engine: Engine,
    log_key: str,
    *,
    validator: Validator = RECORDED,
    progress: Progress | None = None,
    max_problems: int = 1000,
) -> Report:
    """Run the five steps on one snapshot of the database; return a report (`report.raise_first()`)."""
    with snapshot.snapshot(engine) as conn:
        return _verify(conn, log_key, validator, progress, max_problems)


def _verify(
    conn: Connection, log_key: str, validator: Validator, progress: Progress | None, max_problems: int
) -> Report:
    import time

    report = Report()
    problems = report.problems

    def problem(index: int, step: int, message: str) -> None:
        if len(problems) < max_problems:
            problems.append(Problem(index, step, message))

    verifier = note.parse_verifier_key(log_key)
    total = snapshot.log_size(conn)
    key_records = registry.all_keys(conn)
    orgs = {o.id: o for o in registry.list_orgs(conn)}

    # (1) and (2): one pass in index order.
    t0 = time.perf_counter()
    leaves: list[bytes] = []
    heads: dict[str, tuple[str, int]] = {}
    signed: list[tuple[int, bytes, str, str, str]] = []  # index, claim bytes, sig, key id, recorded_at
    events: list[tuple[int, Event, str]] = []
    expected = 0
    hashing = 0.0
    for chunk in snapshot.entry_chunks(conn, CHUNK):
        if progress:
            progress("entries", chunk[0].idx, total)
        # (1): the hashing pass, timed on its own (the part `bench/` measures).
        t_hash = time.perf_counter()
        digests = [hashlib.sha256(row.body).hexdigest() for row in chunk]
        leaves.extend(merkle.leaf_hash(row.body) for row in chunk)
        hashing += time.perf_counter() - t_hash
        for row, digest in zip(chunk, digests, strict=True):
            _check_row(row, digest, expected, heads, signed, events, problem)
            expected = max(expected, row.idx) + 1
    if expected != total:
        first = min(expected, total)
        problem(first, 2, f"the log head says {total} entries but {expected} are stored")
    report.entries = len(leaves)
    report.timings["entries"] = time.perf_counter() - t0
    report.timings["hashing"] = hashing

    # (3): signatures, on every core.
    t0 = time.perf_counter()

    def check(chunk: list[tuple[int, bytes, str, str, str]]) -> list[Problem]:
        found: list[Problem] = []
        for idx, claim_bytes, sig, key_id, recorded_at in chunk:
            record = key_records.get(key_id)
            if record is None:
                found.append(Problem(idx, 3, f"signed by unknown key {key_id!r}"))
                continue
            try:
                if not record.valid_at(from_rfc3339(recorded_at)):
                    found.append(Problem(idx, 3, f"key {key_id!r} was not valid at {recorded_at}"))
                record.public().verify(base64.b64decode(sig), claim_bytes)
            except (InvalidSignature, ValueError):
                found.append(Problem(idx, 3, f"signature does not verify with key {key_id!r}"))
        return found

    workers = os.cpu_count() or 1
    size = max(1, -(-len(signed) // (workers * 4)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for found in pool.map(check, [signed[i : i + size] for i in range(0, len(signed), size)]):
            for p in found:
                problem(p.index, p.step, p.message)
    report.timings["signatures"] = time.perf_counter() - t0

    # (4): checkpoints and stored Merkle nodes.
    t0 = time.perf_counter()
    checkpoints = snapshot.checkpoints(conn)
    report.checkpoints = len(checkpoints)
    sizes = [c.size for c in checkpoints if 0 < c.size <= len(leaves)]
    t_merkle = time.perf_counter()
    roots = merkle.root_at_sizes(leaves, sizes)
    report.timings["merkle"] = time.perf_counter() - t_merkle
    for cp in checkpoints:
        at = cp.size
        try:
            body = note.open_note(cp.note, verifier)
            parsed = note.parse_checkpoint(body)
        except (PacktraceError, ValueError) as exc:
            problem(max(at - 1, 0), 4, f"checkpoint at size {at}: {exc}")
            continue
        if parsed.origin != verifier.name or parsed.size != at or parsed.root != cp.root:
            problem(max(at - 1, 0), 4, f"checkpoint at size {at}: the signed note does not match the stored row")
        if at > len(leaves):
            problem(len(leaves), 4, f"checkpoint at size {at} but the log holds only {len(leaves)} entries: truncated")
        elif parsed.root != roots.get(at):
            problem(
                max(at - 1, 0),
                4,
                f"checkpoint at size {at}: signed root {parsed.root.hex()} but the entries give "
                f"{roots[at].hex() if at in roots else 'nothing'}",
            )
    _check_nodes(snapshot.merkle_nodes(conn), leaves, problem)
    report.timings["checkpoints"] = time.perf_counter() - t0

    # (5): replay through the domain rules.
    t0 = time.perf_counter()
    states: dict[str, PackState] = {}
    ctx = _ReplayContext(orgs, states)
    for idx, event, recorded_at in events:
        ctx.now = from_rfc3339(recorded_at)
        try:
            states[event.pack] = validator.apply(states.get(event.pack), event, ctx)
        except PacktraceError as exc:
            problem(idx, 5, f"replay refuses {event.type} of pack {event.pack}: {exc.message}")
    stored = {r.code: (r.state, r.last_index) for r in snapshot.projections(conn)}
    report.packs = len(stored)
    for code, (state_dict, last_index) in stored.items():
        replayed = states.get(code)
        if replayed is None:
            problem(last_index, 5, f"pack {code} has a stored state but no entries")
        elif replayed.to_dict() != PackState.from_dict(state_dict).to_dict():
            problem(last_index, 5, f"pack {code}: stored state differs from the replayed state")
    for code in states.keys() - stored.keys():
        problem(heads_index(events, code), 5, f"pack {code} has entries but no stored state")
    report.timings["replay"] = time.perf_counter() - t0
    return report


def _check_row(
    row: EntryRow,
    digest: str,
    expected: int,
    heads: dict[str, tuple[str, int]],
    signed: list[tuple[int, bytes, str, str, str]],
    events: list[tuple[int, Event, str]],
    problem: Callable[[int, int, str], None],
) -> None:
    if row.idx > expected:
        problem(expected, 2, f"index {expected} is missing: the next stored entry is {row.idx}")
    elif row.idx < expected:
        problem(row.idx, 2, f"index {row.idx} appears out of order after {expected - 1}")
    if digest != row.hash:
        problem(row.idx, 1, f"stored hash {row.hash} but the stored bytes hash to {digest}")
    if not is_canonical(row.body):
        problem(row.idx, 1, "stored bytes are not canonical RFC 8785 JSON")
    try:
        entry = json.loads(row.body)
        claim = entry["claim"]
        if entry.get("v") != 1:
            problem(row.idx, 1, f"unknown entry version {entry.get('v')!r}")
        if entry["index"] != row.idx:
            problem(row.idx, 2, f"entry says index {entry['index']} but is stored at index {row.idx}")
        if entry["pack"] != row.pack or entry["seq"] != row.seq:
            problem(
                row.idx, 2, f"entry says pack {entry['pack']} seq {entry['seq']}, stored as {row.pack} seq {row.seq}"
            )
        if claim.get("pack") != entry["pack"]:
            problem(row.idx, 2, f"claim names pack {claim.get('pack')} in an entry of pack {entry['pack']}")
        last_hash, last_seq = heads.get(entry["pack"], (None, -1))
        if entry["seq"] != last_seq + 1:
            problem(row.idx, 2, f"pack {entry['pack']}: seq {entry['seq']} follows seq {last_seq}")
        if entry["prev"] != last_hash:
            problem(row.idx, 2, f"pack {entry['pack']}: prev {entry['prev']} but the previous entry is {last_hash}")
        heads[entry["pack"]] = (digest, entry["seq"])
        claim_bytes = row.body[_CLAIM_START : row.body.rfind(b',"index":')]
        signed.append((row.idx, claim_bytes, entry["sig"], claim["key"], entry["recorded_at"]))
        event = Event(claim["pack"], claim["type"], from_rfc3339(claim["at"]), claim["actor"], claim["data"])
        events.append((row.idx, event, entry["recorded_at"]))
    except (ValueError, KeyError, TypeError) as exc:
        problem(row.idx, 1, f"stored bytes are not a well-formed entry: {exc!r}")


def heads_index(events: list[tuple[int, Event, str]], code: str) -> int:
    return max(idx for idx, e, _ in events if e.pack == code)


def _check_nodes(stored: Iterable[NodeRow], leaves: list[bytes], problem: Callable[[int, int, str], None]) -> None:
    """Compare the stored complete-subtree hashes with the ones the entries give."""
    expected: dict[tuple[int, int], bytes] = {}
    frontier: list[bytes] = []
    step = 100_000
    for start in range(0, len(leaves), step):
        nodes, frontier = merkle.append_leaves(start, frontier, leaves[start : start + step])
        expected.update(nodes)
    seen = 0
    after: tuple[int, int] = (-1, -1)
    for r in stored:
        key = (r.level, r.idx)
        seen += 1
        want = expected.get(key)
        last_leaf = ((key[1] + 1) << key[0]) - 1
        if want is None:
            problem(last_leaf, 4, f"stored Merkle node {key} covers entries that do not exist")
        elif want != r.hash:
            problem(last_leaf, 4, f"stored Merkle node {key} differs from the entries' hash")
        after = key
    if seen != len(expected):
        problem(len(leaves), 4, f"{len(expected)} Merkle nodes expected, {seen} stored (last {after})")
