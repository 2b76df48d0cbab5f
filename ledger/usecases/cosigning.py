"""The log gathers its witnesses' cosignatures (docs/ledger-format.md §4.3).

A gathering round takes the latest checkpoint and submits it (C2SP tlog-witness `add-checkpoint`) to every
witness that has not cosigned it and is not backing off, all at once, each witness first given, in order,
the checkpoints of head commitments made since it last cosigned (bundles are proven against those:
docs/ledger-format.md §6.4): `old <size the witness last
cosigned>`, the RFC 6962 consistency proof from that size, the checkpoint note. A 409 teaches the size the
witness holds (`text/x.tlog.size`) and the round submits once more from it. A returned line is kept only
after it verifies (C2SP tlog-cosignature) with the witness's configured key. The round then stores what
came back, moves each witness's cosigned size, and publishes its checkpoint, in one short transaction.

A witness that times out, cannot be reached, refuses (4xx, 5xx) or answers a line that does not verify is
marked unhealthy with the reason and is not asked again before a backoff (doubling, capped) has passed. The
HTTP client is the caller's (`Post`, api/cosigner.py); nothing here blocks an append.
"""

from __future__ import annotations

import asyncio
import base64
import re
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from events.errors import PacktraceError, VerificationError
from ledger.format import cosignature, note
from ledger.format.note import Verifier
from ledger.format.witnessing import SIZE_MEDIA_TYPE
from ledger.log import Ledger
from ledger.store import cosignatures as stored
from ledger.store import heads as heads_store
from ledger.store import logreads
from ledger.store.cosignatures import Cosigned
from ledger.store.db import write_connection
from ledger.store.logreads import StoredCheckpoint
from ledger.usecases.keyedurls import parse_keyed_urls


@dataclass(frozen=True)
class WitnessConfig:
    """One witness the log submits to: its C2SP cosignature/v1 verifier key and its base URL (the
    witness serves `POST <url>/add-checkpoint`)."""

    verifier_key: str
    url: str
    verifier: Verifier = field(compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.verifier.name


def parse_witnesses(text: str) -> tuple[WitnessConfig, ...]:
    """PACKTRACE_WITNESSES: comma-separated `<witness verifier key>=<base URL>`; ValueError naming the item."""
    items = parse_keyed_urls(
        text, "PACKTRACE_WITNESSES", "witness", "witness verifier key", cosignature.parse_verifier_key
    )
    return tuple(WitnessConfig(key, url, verifier) for key, url, verifier in items)


# -- what the lead's bundles and the log's reads call ------------------------------------------------------


def cosignature_lines(ledger: Ledger, size: int) -> str:
    """Every cosignature line gathered for the checkpoint of `size` (each ending in a newline; "" if none):
    appended to that checkpoint's note, a verifier checks the witnesses it knows and ignores the rest."""
    with ledger.engine.connect() as conn:
        return stored.lines_at(conn, size)


def cosigned_checkpoint(ledger: Ledger, at_least: int) -> StoredCheckpoint | None:
    """The newest checkpoint of size >= `at_least` that carries cosignatures, its note with every line
    gathered for it; None when none does."""
    with ledger.engine.connect() as conn:
        size = stored.newest_cosigned_size(conn, at_least)
        checkpoint = None if size is None else logreads.checkpoint_at(conn, size)
        if checkpoint is None:
            return None
        return replace(checkpoint, note=checkpoint.note + stored.lines_at(conn, checkpoint.size))


def with_cosignatures(ledger: Ledger, checkpoint: StoredCheckpoint) -> StoredCheckpoint:
    return replace(checkpoint, note=checkpoint.note + cosignature_lines(ledger, checkpoint.size))


# -- one gathering round ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    text: str


class Unreachable(Exception):
    """The witness did not answer: timeout or connection error; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Post = Callable[[str, bytes], Awaitable[Answer]]  # (the add-checkpoint URL, body) → answer; raises Unreachable


@dataclass(frozen=True)
class WitnessState:
    """What /healthz and the regulator's overview show of one witness."""

    name: str
    url: str
    verifier_key: str
    cosigned_size: int  # the latest checkpoint size it cosigned for this log (0: none yet)
    cosigned_at: datetime | None
    ok: bool | None  # None: not asked since this server started
    error: str | None


@dataclass
class _Tracked:
    config: WitnessConfig
    held: int  # the size the witness holds, as far as the log knows: the next `old`
    cosigned: int  # the largest size the log holds its cosignature for
    cosigned_at: datetime | None
    ok: bool | None = None
    error: str | None = None
    failures: int = 0
    retry_at: float = 0.0


@dataclass(frozen=True)
class _Failed:
    reason: str
    held: int  # what the witness holds, perhaps learned from a 409


class Gatherer:
    """The gathering state of one log process: each witness's size and health, the published size."""

    def __init__(
        self,
        ledger: Ledger,
        witnesses: Sequence[WitnessConfig],
        *,
        clock: Callable[[], float] = time.monotonic,
        backoff: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        self.ledger, self.clock, self.backoff = ledger, clock, backoff
        with ledger.engine.connect() as conn:
            heads = stored.heads(conn)
            self.published = stored.published_size(conn)
        self._tracked = []
        for w in witnesses:
            head = heads.get(w.verifier_key)
            size = 0 if head is None else head.size
            self._tracked.append(_Tracked(w, size, size, None if head is None else head.cosigned_at))
        self._lock = threading.Lock()  # states() is read from request threads

    def states(self) -> list[WitnessState]:
        with self._lock:
            return [
                WitnessState(c.name, c.url, c.verifier_key, t.cosigned, t.cosigned_at, t.ok, t.error)
                for t in self._tracked
                for c in [t.config]
            ]

    async def gather(self, post: Post) -> int | None:
        """One round on the latest checkpoint; the size it published, or None when there was nothing to do."""
        checkpoint = self.ledger.latest_checkpoint()
        if checkpoint is None:
            return None
        now = self.clock()
        due = [t for t in self._tracked if t.cosigned < checkpoint.size and t.retry_at <= now]
        if not due and self.published == checkpoint.size:
            return None
        steps = self._commitment_checkpoints(min(t.held for t in due), checkpoint.size) if due else []
        outcomes = await asyncio.gather(*(self._submit_in_order(post, t, [*steps, checkpoint]) for t in due))
        cosigned = [c for done, _ in outcomes for c in done]
        with write_connection(self.ledger.engine) as conn, conn.begin():  # short: a few rows
            stored.record(conn, cosigned, publish=checkpoint.size, now=datetime.now(UTC))
        self.published = checkpoint.size
        with self._lock:
            now = self.clock()
            for t, (done, failed) in zip(due, outcomes, strict=True):
                if done:
                    t.held = t.cosigned = done[-1].size
                    t.cosigned_at = done[-1].cosigned_at
                if failed is None:
                    t.ok, t.error, t.failures, t.retry_at = True, None, 0, 0.0
                else:
                    t.held, t.ok, t.error = max(failed.held, t.cosigned), False, failed.reason
                    t.failures += 1
                    first, cap = self.backoff
                    t.retry_at = now + min(cap, first * 2 ** min(t.failures - 1, 30))
        return checkpoint.size

    def _commitment_checkpoints(self, after: int, before: int) -> list[StoredCheckpoint]:
        """The checkpoints of the head commitments' transactions (size = the commitment's index + 1) above
        `after` and below `before`: a bundle is proven complete against exactly that checkpoint
        (docs/ledger-format.md §6.4), so its witnesses must cosign it, not only the latest."""
        with self.ledger.engine.connect() as conn:
            found = [logreads.checkpoint_at(conn, index + 1) for index in heads_store.commitment_indices(conn, after)]
        return [c for c in found if c is not None and after < c.size < before]

    async def _submit_in_order(
        self, post: Post, t: _Tracked, checkpoints: Sequence[StoredCheckpoint]
    ) -> tuple[list[Cosigned], _Failed | None]:
        """Submit each checkpoint the witness has not cosigned, in order (each consistent with the one
        before); stop at the first failure."""
        done: list[Cosigned] = []
        for checkpoint in checkpoints:
            if checkpoint.size <= max(t.held, t.cosigned):  # held or cosigned already: nothing to add
                continue
            outcome = await self._submit(post, t, checkpoint)
            if isinstance(outcome, _Failed):
                return done, outcome
            done.append(outcome)
            t.held = outcome.size  # the next submission's `old`
        return done, None

    async def _submit(self, post: Post, t: _Tracked, checkpoint: StoredCheckpoint) -> Cosigned | _Failed:
        old = t.held
        for attempt in (1, 2):
            if old > checkpoint.size:
                return _Failed(f"见证者状态超前 the witness holds size {old}, beyond the log's {checkpoint.size}", old)
            try:
                body = self.submission(checkpoint, old)
            except PacktraceError as exc:  # the log cannot prove it: this witness fails, the round goes on
                return _Failed(f"无法证明 no consistency proof from size {old}: {exc.message}", old)
            try:
                answer = await post(t.config.url + "/add-checkpoint", body)
            except Unreachable as exc:
                return _Failed(exc.reason, old)
            if answer.status == 200:
                try:
                    return accepted(checkpoint, t.config, answer.text)
                except VerificationError as exc:
                    return _Failed(f"副署无效 bad cosignature: {exc.message}", old)
            held = _held_size(answer)
            if answer.status == 409 and held is not None and held != old and attempt == 1:
                old = held  # the witness holds another size (a lost answer, another log process): once more
                continue
            if held is not None:
                return _Failed(f"HTTP 409: 见证者持有 the witness holds size {held} (another root?)", held)
            reason = answer.text.strip().splitlines()[0][:300] if answer.text.strip() else ""
            return _Failed(f"HTTP {answer.status}: {reason}".rstrip(": "), old)
        raise AssertionError("unreachable")  # pragma: no cover

    def submission(self, checkpoint: StoredCheckpoint, old: int) -> bytes:
        """The add-checkpoint body: old size, consistency proof from it, blank line, checkpoint note."""
        proof = self.ledger.consistency_proof(old, checkpoint.size) if 0 < old < checkpoint.size else []
        lines = "".join(base64.b64encode(h).decode("ascii") + "\n" for h in proof)
        return f"old {old}\n{lines}\n{checkpoint.note}".encode()


def _held_size(answer: Answer) -> int | None:
    if answer.status != 409 or not answer.content_type.startswith(SIZE_MEDIA_TYPE):
        return None
    text = answer.text.removesuffix("\n")
    return int(text) if re.fullmatch(r"0|[1-9][0-9]{0,18}", text) else None


def accepted(checkpoint: StoredCheckpoint, witness: WitnessConfig, answer: str) -> Cosigned:
    """The answer's lines by `witness`'s key, each verified on the checkpoint; raises VerificationError."""
    verifier = witness.verifier
    mine = []
    for line in answer.splitlines(keepends=True):
        if not line.endswith("\n"):
            line += "\n"
        _, signatures = note.split_note(checkpoint.note + line)  # the line parses as a signature line
        name, key_id, _ = signatures[-1]
        if (name, key_id) == (verifier.name, verifier.key_id):
            mine.append(line)
    if not mine:
        raise VerificationError(f"the answer holds no cosignature by {verifier.label}")
    timestamp = cosignature.verify_cosignature(checkpoint.note + "".join(mine), verifier)
    try:
        at = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        raise VerificationError(f"cosignature by {verifier.label} has timestamp {timestamp}, past year 9999") from None
    return Cosigned(witness.verifier_key, checkpoint.size, "".join(mine), at)
