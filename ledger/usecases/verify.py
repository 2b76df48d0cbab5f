"""`packtrace verify`: check a whole database against the ledger format (DESIGN §3.5).

    (1) every entry's stored bytes are canonical RFC 8785 JSON and hash to its stored hash;
    (2) `index` is dense from 0, `seq` dense per pack, every `prev` names the pack's previous entry;
    (3) every claim signature verifies with the key valid at the entry's `recorded_at`;
    (4) every stored checkpoint is signed by every log key that must sign it by the log's own key events
        (ledger.format.logkeys: during a key rollover the old and the new key; before the log names its
        key, the one given) and its root equals the root recomputed from the entries at its size (so
        consecutive checkpoints are consistent); the stored Merkle nodes equal the recomputed ones;
    (5) replaying the events through the domain rules reproduces the stored pack projections. The replay
        folds each entry as recorded (`events.rules.refold`): the admission checks added after entries
        were first recorded (event times before 2000 or before production, plausible ranges in payloads)
        are not held against an entry, so an honest log recorded before them still verifies. Replaying
        the `corrected` entries reproduces the stored corrected values (ledger.usecases.corrections), and
        replaying the `produced`, `serviced` and `dismantled` entries the stored links of modules and cells
        (ledger.usecases.components). An `arrived` entry's proof of the origin's transfer verifies under the
        key it names, and its transfer names this log (docs/federation.md): that the key is the peer's is for
        the auditor to check (`verify-bundle --peer`).

All steps run to the end and collect problems; the report names the problem at the lowest index first,
because one edit often shows up in several steps (an edited entry breaks its hash, its signature and its
successor's `prev`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from events import rules
from events.batch import batch_problems
from events.errors import PacktraceError, VerificationError
from events.orgs import Org
from events.registry import HEADS_SUBJECT, OrgRecord, Registry, is_subject
from events.state import Event, PackState
from events.timestamps import from_rfc3339
from ledger.append.rules import Validator, check_arrival_proof
from ledger.format import ed25519, logkeys, merkle, note
from ledger.format import heads as heads_format
from ledger.format.canonical import is_canonical
from ledger.store import correctionrows, linkrows, logmeta, registry, snapshot
from ledger.store.db import Connection, Engine
from ledger.store.snapshot import EntryRow, NodeRow
from ledger.usecases import components, corrections

Progress = Callable[[str, int, int], None]
PACK_ENTRY_MEMBERS = frozenset({"claim", "index", "pack", "prev", "recorded_at", "seq", "sig", "v"})
REGISTRY_ENTRY_MEMBERS = frozenset({"claim", "index", "prev", "recorded_at", "seq", "subject", "v"})  # + `sig`
PREDATES_REGISTRY = (
    "this database keeps its organisations and keys outside the log (made before the registry was in the "
    "log): run `packtrace migrate`, or start the server once, to record them as registry entries, then verify"
    "（此数据库的企业与密钥登记尚未写入日志：请先运行 packtrace migrate 或启动一次服务）"
)
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

    @staticmethod
    def apply(state: PackState | None, event: Event, ctx: Any) -> PackState:
        after = rules.refold(state, event, ctx)
        check_arrival_proof(event)  # an arrival's proof of the origin's transfer (docs/federation.md)
        return after

    batch_problems = staticmethod(batch_problems)


RECORDED = RecordedRules()


class _ReplayContext:
    """What the domain rules ask while replaying: organisations as the registry held them at the entry."""

    def __init__(self, registry: Registry, states: dict[str, PackState]) -> None:
        self.registry = registry
        self.states = states
        self.now = datetime.now(UTC)

    def org(self, org_id: str) -> Org | None:
        return self.registry.org_at(org_id, self.now)

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
    state = registry.registry_state(engine)
    if state.orgs and not state.logged:
        return Report(problems=[Problem(0, 5, PREDATES_REGISTRY)])
    with snapshot.snapshot(engine) as conn:
        return _verify(conn, log_key, validator, progress, max_problems)


def _verify(
    conn: Connection, log_key: str, validator: Validator, progress: Progress | None, max_problems: int
) -> Report:
    report = Report()
    problems = report.problems

    def problem(index: int, step: int, message: str) -> None:
        if len(problems) < max_problems:
            problems.append(Problem(index, step, message))

    verifier = note.parse_verifier_key(log_key)
    total = snapshot.log_size(conn)
    replay = _Replay(validator, problem, verifier.name)
    replay.prefold(snapshot.migrated_registry(conn))

    # (1), (2), the key checks of (3) and the replay of (5): one pass in index order, since the registry
    # in force at each entry is the one the entries before it made.
    # The signatures of (3) are checked on every core while the pass goes on (libsodium releases the
    # GIL), a chunk's as soon as the pass has judged its keys: nothing of an entry is kept past its chunk
    # but its leaf hash (32 bytes), so memory grows with the packs, not with the log.
    t0 = time.perf_counter()
    leaves = merkle.HashArray()
    heads: dict[str, tuple[str, int, int]] = {}  # chain -> (hash, seq, index) of its last entry so far
    due = _commitments(conn)  # head commitments, checked when the pass reaches the size each covers
    expected = 0
    hashing = 0.0
    signatures = _Signatures(problem)
    try:
        for chunk in snapshot.entry_chunks(conn, CHUNK):
            if progress:
                progress("entries", chunk[0].idx, total)
            # (1): the hashing pass, timed on its own (the part `bench/` measures).
            t_hash = time.perf_counter()
            digests = [hashlib.sha256(row.body).hexdigest() for row in chunk]
            leaves.extend(merkle.leaf_hash(row.body) for row in chunk)
            hashing += time.perf_counter() - t_hash
            for row, digest in zip(chunk, digests, strict=True):
                while due and due[0].size <= row.idx:
                    _check_commitment(due.pop(0), heads, problem)
                entry = _check_row(row, digest, expected, heads, problem)
                if entry is not None:
                    try:
                        replay.entry(row.idx, row.body, entry)
                    except (ValueError, KeyError, TypeError) as exc:
                        problem(row.idx, 1, f"stored bytes are not a well-formed entry: {exc!r}")
                expected = max(expected, row.idx) + 1
            signatures.submit(replay.take_signed())
        signatures.finish()
    finally:
        signatures.close()
    for commitment in due:
        if commitment.size <= expected:
            _check_commitment(commitment, heads, problem)
        else:
            problem(commitment.index, 5, f"head commitment at entry {commitment.index} covers size {commitment.size}, "
                                         f"beyond the {expected} entries stored")  # fmt: skip
    if expected != total:
        first = min(expected, total)
        problem(first, 2, f"the log head says {total} entries but {expected} are stored")
    report.entries = len(leaves)
    report.timings["entries"] = time.perf_counter() - t0 - replay.seconds - signatures.waited
    report.timings["hashing"] = hashing
    report.timings["signatures"] = signatures.waited  # the pass's waits on them; the rest ran beside it

    # (4): checkpoints and stored Merkle nodes.
    t0 = time.perf_counter()
    checkpoints = snapshot.checkpoints(conn)
    report.checkpoints = len(checkpoints)
    sizes = [c.size for c in checkpoints if 0 < c.size <= len(leaves)]
    t_merkle = time.perf_counter()
    roots = merkle.root_at_sizes(leaves, sizes)
    report.timings["merkle"] = time.perf_counter() - t_merkle
    history, key_problems = logkeys.checked_history(log_key, logmeta.log_entries(conn))
    for index, message in key_problems:
        problem(index, 4, f"the log's key: {message}")
    if not history.knows(log_key):
        had = ", ".join(logkeys.label(k) for k in history.all_keys())
        problem(0, 4, f"the key {logkeys.label(log_key)} was never the log's key by its own entries (it had {had})")
    verifiers = {k: note.parse_verifier_key(k) for k in history.all_keys()}
    previous: int | None = None
    for cp in checkpoints:
        at = cp.size
        try:
            body = note.open_note_all(cp.note, [verifiers[k] for k in history.signers(at, previous)])
            parsed = note.parse_checkpoint(body)
        except (PacktraceError, ValueError) as exc:
            problem(max(at - 1, 0), 4, f"checkpoint at size {at}: {exc}")
            continue
        finally:
            previous = at
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

    # (5): the replayed packs and registry against the stored projections.
    t0 = time.perf_counter()
    states = replay.states
    unseen = set(states)
    for stored in snapshot.projections(conn):
        report.packs += 1
        replayed = states.get(stored.code)
        unseen.discard(stored.code)
        if replayed is None:
            problem(stored.last_index, 5, f"pack {stored.code} has a stored state but no entries")
        elif replayed.to_dict() != PackState.from_dict(stored.state).to_dict():
            problem(stored.last_index, 5, f"pack {stored.code}: stored state differs from the replayed state")
    for code in sorted(unseen):
        problem(replay.last_index[code], 5, f"pack {code} has entries but no stored state")
    _check_registry(replay, registry.org_records(conn), registry.all_keys(conn), total, problem)
    _check_corrections(conn, total, problem)
    _check_links(conn, total, problem)
    report.timings["replay"] = time.perf_counter() - t0 + replay.seconds
    return report


Signed = tuple[int, bytes, str, bytes, str]  # index, claim bytes, sig, public key, key id


def _check_signed(chunk: list[Signed]) -> list[Problem]:
    found: list[Problem] = []
    for idx, claim_bytes, sig, public_key, key_id in chunk:
        if not _verifies(public_key, sig, claim_bytes):
            found.append(Problem(idx, 3, f"signature does not verify with key {key_id!r}"))
    return found


def check_signatures(signed: list[Signed], problem: Callable[[int, int, str], None]) -> None:
    """(3) for pack entries: each (index, claim bytes, sig, public key, key id) verifies, on every core."""
    checks = _Signatures(problem)
    try:
        checks.submit(signed)
        checks.finish()
    finally:
        checks.close()


class _Signatures:
    """(3) on every core, while the caller goes on: claims are handed over a chunk at a time, and at most
    two chunks a core wait, so the claims held stay bounded however long the log."""

    def __init__(self, problem: Callable[[int, int, str], None]) -> None:
        self.problem = problem
        self.workers = os.cpu_count() or 1
        self.pool = ThreadPoolExecutor(max_workers=self.workers)
        self.pending: deque[Future[list[Problem]]] = deque()
        self.waited = 0.0

    def submit(self, signed: list[Signed]) -> None:
        size = max(1, -(-len(signed) // (self.workers * 4)))
        for start in range(0, len(signed), size):
            self.pending.append(self.pool.submit(_check_signed, signed[start : start + size]))
        while len(self.pending) > 8 * self.workers:
            self._collect()

    def finish(self) -> None:
        while self.pending:
            self._collect()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _collect(self) -> None:
        t0 = time.perf_counter()
        found = self.pending.popleft().result()
        self.waited += time.perf_counter() - t0
        for p in found:
            self.problem(p.index, p.step, p.message)


class _Replay:
    """Steps (3) and (5) as the pass meets each entry: registry entries folded into the registry in
    force (events.registry), pack entries' keys judged against it and their events replayed."""

    def __init__(self, validator: Validator, problem: Callable[[int, int, str], None], origin: str = "") -> None:
        self.validator = validator
        self.problem = problem
        self.origin = origin  # this log's: an arrival's transfer names it (docs/federation.md)
        self.registry = Registry()
        self.states: dict[str, PackState] = {}
        self.last_index: dict[str, int] = {}
        self.signed: list[Signed] = []  # the pack entries' signatures to check (`take_signed` hands them over)
        self.registry_index: dict[str, int] = {}  # org id -> its last registry entry
        self.seconds = 0.0
        self.ctx = _ReplayContext(self.registry, self.states)
        self.migrated: set[int] = set()  # indices of the migration's entries, folded before the pass
        self.logged_registry = False  # a registry entry not by the migration was met

    def prefold(self, rows: list[EntryRow]) -> None:
        """The migration's entries state the registry as it stood before the log recorded it: they are in
        force from the log's start, so they are folded first, in their order (docs/ledger-format.md §5)."""
        for row in rows:
            try:
                entry = json.loads(row.body)
                claim = entry["claim"]
                if "subject" not in entry or claim.get("by") != "migration":
                    continue  # the bytes decide, not the actor column
                self.registry.apply(row.idx, from_rfc3339(entry["recorded_at"]), claim, None)
            except PacktraceError as exc:
                self.problem(row.idx, 5, f"registry replay refuses the migration's {row.pack} entry: {exc.message}")
            except (ValueError, KeyError, TypeError):
                continue  # the pass names a malformed entry
            else:
                self.migrated.add(row.idx)
                if claim["subject"].startswith("org:"):
                    self.registry_index[claim["subject"][4:]] = row.idx

    def take_signed(self) -> list[Signed]:
        """The signatures met since the last call, for step (3) to check."""
        signed, self.signed = self.signed, []
        return signed

    def entry(self, idx: int, body: bytes, entry: dict[str, Any]) -> None:
        t0 = time.perf_counter()
        claim = entry["claim"]
        recorded_at = from_rfc3339(entry["recorded_at"])
        if "subject" in entry:
            self.registry_entry(idx, body, entry, claim, recorded_at)
        else:
            self.pack_entry(idx, body, entry, claim, recorded_at)
        self.seconds += time.perf_counter() - t0

    def registry_entry(
        self, idx: int, body: bytes, entry: dict[str, Any], claim: dict[str, Any], recorded_at: datetime
    ) -> None:
        if claim.get("by") == "migration":
            if idx not in self.migrated:
                self.problem(idx, 5, f"entry {idx} says the migration recorded it, but it was not stored as such")
            elif self.logged_registry:
                self.problem(idx, 5, "a migration entry follows registry entries made in the log")
            return
        self.logged_registry = True
        sig = entry.get("sig")
        if (sig is not None) != (claim.get("by") == "signature"):
            self.problem(idx, 1, "a registry entry carries `sig` exactly when its claim is authorised by 'signature'")
        claim_bytes = _claim_bytes(body)
        check = None if sig is None else _signature_check(claim_bytes, sig)
        try:
            org_id = self.registry.apply(idx, recorded_at, claim, check)
        except PacktraceError as exc:
            self.problem(idx, 5, f"registry replay refuses {claim.get('type')} of {entry['subject']}: {exc.message}")
            return
        if org_id:
            self.registry_index[org_id] = idx

    def pack_entry(
        self, idx: int, body: bytes, entry: dict[str, Any], claim: dict[str, Any], recorded_at: datetime
    ) -> None:
        key_id, actor = claim["key"], claim["actor"]
        refused = self.registry.key_refusal(key_id, actor, idx, recorded_at)
        if refused is not None:
            self.problem(idx, 3, refused[1])
        else:
            self.signed.append((idx, _claim_bytes(body), entry["sig"], self.registry.keys[key_id].public_key, key_id))
        event = Event(claim["pack"], claim["type"], from_rfc3339(claim["at"]), actor, claim["data"])
        self.ctx.now = recorded_at
        try:
            self.states[event.pack] = self.validator.apply(self.states.get(event.pack), event, self.ctx)
        except PacktraceError as exc:
            self.problem(idx, 5, f"replay refuses {event.type} of pack {event.pack}: {exc.message}")
        else:
            self._check_arrival(idx, event)
        self.last_index[event.pack] = idx

    def _check_arrival(self, idx: int, event: Event) -> None:
        """An arrival's transfer hands the pack to this log's platform (its proof the replay has checked)."""
        if event.type != "arrived":
            return
        named = event.data["transfer"]["claim"]["data"].get("platform")
        if named != self.origin:
            self.problem(
                idx, 5, f"arrival of pack {event.pack}: the transfer names platform {named!r}, not {self.origin!r}"
            )


def _claim_bytes(body: bytes) -> bytes:
    return body[_CLAIM_START : body.rfind(b',"index":')]


def _signature_check(claim_bytes: bytes, sig: str) -> Callable[[bytes], bool]:
    def check(public_key: bytes) -> bool:
        return _verifies(public_key, sig, claim_bytes)

    return check


def _verifies(public_key: bytes, sig: str, claim_bytes: bytes) -> bool:
    """The one verifier of claim signatures (ledger.format.ed25519), the appends' rule."""
    try:
        signature = base64.b64decode(sig)
    except ValueError:
        return False
    return ed25519.verify(public_key, signature, claim_bytes)


def _check_registry(
    replay: _Replay,
    orgs: list[OrgRecord],
    keys: dict[str, registry.KeyRecord],
    total: int,
    problem: Callable[[int, int, str], None],
) -> None:
    """(5) for the registry: the `org` and `org_key` rows equal the registry the log's entries make."""
    replayed = replay.registry
    at = replay.registry_index
    for record in orgs:
        want = replayed.orgs.get(record.id)
        if want is None:
            problem(total, 5, f"organisation {record.id!r} is in the registry table but no registry entry made it")
        elif want != record:
            fields = [f for f in ("name", "roles", "manufacturer_codes", "region", "whitelisted", "whitelist")
                      if getattr(want, f) != getattr(record, f)]  # fmt: skip
            problem(at.get(record.id, total), 5,
                    f"organisation {record.id!r}: the registry table differs from the log's registry entries in "
                    f"{', '.join(fields)}")  # fmt: skip
    for org_id in replayed.orgs.keys() - {r.id for r in orgs}:
        problem(at[org_id], 5, f"organisation {org_id!r} has registry entries but no row in the registry table")
    for key_id, stored in keys.items():
        key = replayed.keys.get(key_id)
        if key is None:
            problem(
                total, 5, f"key {key_id!r} of {stored.org!r} is in the registry table but no registry entry added it"
            )
            continue
        differs = [
            name
            for name, same in (
                ("org", key.org == stored.org),
                ("public_key", key.public_key == stored.public_key),
                ("platform_held", key.platform_held == stored.platform_held),
                ("valid_from", key.valid_from == stored.valid_from),
                ("revoked_at", key.revoked_at == stored.revoked_at),
            )
            if not same
        ]
        if differs:
            problem(key.revoked if key.revoked is not None else key.added, 5,
                    f"key {key_id!r}: the registry table differs from the log's registry entries in "
                    f"{', '.join(differs)}")  # fmt: skip
    for key_id in replayed.keys.keys() - keys.keys():
        problem(replayed.keys[key_id].added, 5, f"key {key_id!r} has a registry entry but no row in the registry table")


def _check_corrections(conn: Connection, total: int, problem: Callable[[int, int, str], None]) -> None:
    """(5) for the corrected values: the `correction` rows equal those the log's `corrected` entries make."""
    want = {row.idx: row for row in corrections.replayed(conn)}
    stored = {row.idx: row for row in correctionrows.all_rows(conn)}
    for idx in sorted(want.keys() | stored.keys()):
        if idx not in stored:
            problem(idx, 5, f"correction {idx} changes entry {want[idx].target} but has no stored corrected values")
        elif idx not in want:
            problem(min(idx, total), 5, f"stored corrected values of entry {stored[idx].target} name correction {idx}, "
                                        "which changes nothing")  # fmt: skip
        elif want[idx] != stored[idx]:
            problem(idx, 5, f"correction {idx}: the stored corrected values of entry {want[idx].target} differ from "
                            "the log's")  # fmt: skip


def _check_links(conn: Connection, total: int, problem: Callable[[int, int, str], None]) -> None:
    """(5) for the links of modules and cells: the `component_link` rows equal those the log's entries make."""
    want = {(row.child, row.start_idx): row for row in components.replayed(conn)}
    stored = {(row.child, row.start_idx): row for row in linkrows.all_rows(conn)}
    for key in sorted(want.keys() | stored.keys(), key=lambda k: (k[1], k[0])):
        child, start = key
        if key not in stored:
            problem(start, 5, f"entry {start} puts {child} in {want[key].parent} but the stored links lack it")
        elif key not in want:
            problem(min(start, total), 5, f"a stored link puts {child} in {stored[key].parent} from entry {start}, "
                                          "which the log's entries do not make")  # fmt: skip
        elif want[key] != stored[key]:
            problem(start, 5, f"the stored link of {child} from entry {start} differs from the log's "
                              f"(stored {_link_text(stored[key])}, log {_link_text(want[key])})")  # fmt: skip


def _link_text(row: linkrows.LinkRow) -> str:
    return f"in {row.parent} until {'now' if row.end_idx is None else f'entry {row.end_idx}'}"


def _check_row(
    row: EntryRow,
    digest: str,
    expected: int,
    heads: dict[str, tuple[str, int, int]],
    problem: Callable[[int, int, str], None],
) -> dict[str, Any] | None:
    """(1) and (2) for one stored entry; the entry object, or None when it is not a well-formed entry."""
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
        registry_entry = "subject" in entry
        chain = entry["subject"] if registry_entry else entry["pack"]
        what = "subject" if registry_entry else "pack"
        if chain != row.pack or entry["seq"] != row.seq:
            problem(row.idx, 2, f"entry says {what} {chain} seq {entry['seq']}, stored as {row.pack} seq {row.seq}")
        if claim.get(what) != chain:
            problem(row.idx, 2, f"claim names {what} {claim.get(what)} in an entry of {what} {chain}")
        if registry_entry and (not is_subject(chain) or "pack" in entry or "pack" in claim):
            problem(row.idx, 2, f"registry entry of subject {chain!r}: not a registry subject, or it names a pack")
        members = set(entry) - ({"sig"} if registry_entry else set())
        if members != (REGISTRY_ENTRY_MEMBERS if registry_entry else PACK_ENTRY_MEMBERS):
            problem(row.idx, 1, f"entry has members {sorted(entry)}, not those of the format (docs/ledger-format.md)")
        last_hash, last_seq, _ = heads.get(chain, (None, -1, -1))
        if entry["seq"] != last_seq + 1:
            problem(row.idx, 2, f"{what} {chain}: seq {entry['seq']} follows seq {last_seq}")
        if entry["prev"] != last_hash:
            problem(row.idx, 2, f"{what} {chain}: prev {entry['prev']} but the previous entry is {last_hash}")
        heads[chain] = (digest, entry["seq"], row.idx)
        if not registry_entry:
            missing = [name for name in ("key", "actor", "type", "at", "data") if name not in claim]
            if missing or "sig" not in entry:
                raise KeyError(", ".join(missing) or "sig")
        from_rfc3339(entry["recorded_at"])
        return dict(entry)
    except (ValueError, KeyError, TypeError) as exc:
        problem(row.idx, 1, f"stored bytes are not a well-formed entry: {exc!r}")
        return None


def _commitments(conn: Connection) -> list[heads_format.Commitment]:
    """The log's head commitments, in order (a malformed one is left to the registry replay to name)."""
    found = []
    for _, _, body in registry.subject_entries(conn, HEADS_SUBJECT):
        try:
            found.append(heads_format.read_commitment(json.loads(body)))
        except (VerificationError, ValueError):
            continue  # the registry replay names it (`Registry.apply` refuses its data)
    return sorted(found, key=lambda c: (c.size, c.index))


def _check_commitment(
    commitment: heads_format.Commitment,
    heads: dict[str, tuple[str, int, int]],
    problem: Callable[[int, int, str], None],
) -> None:
    """(5) for a head commitment: its root and count are those of every chain's head at its size."""
    root, count = heads_format.root_of(
        heads_format.Head(subject, index, seq, digest)
        for subject, (digest, seq, index) in heads.items()
        if subject != HEADS_SUBJECT
    )
    if root != commitment.root or count != commitment.count:
        problem(
            commitment.index,
            5,
            f"head commitment at entry {commitment.index} (size {commitment.size}): root {commitment.root.hex()} over "
            f"{commitment.count} chains, but the log's chains at size {commitment.size} give {root.hex()} over {count}",
        )


def _check_nodes(stored: Iterable[NodeRow], leaves: merkle.HashArray, problem: Callable[[int, int, str], None]) -> None:
    """Compare the stored complete-subtree hashes with the ones the entries give. The stored nodes come level
    by level (node id order), so one level of expected hashes is held at a time, built from the one below."""
    n = len(leaves)
    expected_count = sum(n >> level for level in range(n.bit_length()))  # complete subtrees of every level
    level, hashes = 0, leaves
    seen = 0
    after: tuple[int, int] = (-1, -1)
    for r in stored:
        seen += 1
        while level < r.level and len(hashes):
            level, hashes = level + 1, hashes.parents()
        last_leaf = ((r.idx + 1) << r.level) - 1
        if level != r.level or r.idx >= len(hashes):
            problem(last_leaf, 4, f"stored Merkle node {(r.level, r.idx)} covers entries that do not exist")
        elif hashes[r.idx] != r.hash:
            problem(last_leaf, 4, f"stored Merkle node {(r.level, r.idx)} differs from the entries' hash")
        after = (r.level, r.idx)
    if seen != expected_count:
        problem(n, 4, f"{expected_count} Merkle nodes expected, {seen} stored (last {after})")
