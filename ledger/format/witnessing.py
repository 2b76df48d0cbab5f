"""The witness's decision on a C2SP tlog-witness `add-checkpoint` request, pure: what the request says,
whether the witness may cosign it, and the tree head it must record first.

    old <size>\\n                  the size of the latest checkpoint the witness cosigned (0 if none)
    <base64 hash>\\n …             at most 63 consistency proof lines, from old to the checkpoint's size
    \\n
    <checkpoint note>             origin, size, root, blank line, the log's signature lines

The checks, in the specification's order, each refusing with its status:

    400  the body is malformed, or old > the checkpoint's size
    404  the checkpoint's origin is not a log this witness is configured for
    403  no signature by a configured key of that log verifies
    409  old is not the size the witness holds (body: that size, `text/x.tlog.size`), or the sizes are
         equal and the roots differ
    422  the consistency proof does not verify from the held root to the checkpoint's root

The caller records the accepted head (durably, by compare-and-swap on the head it read) and only then
cosigns (`ledger/format/cosignature.py`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from events.errors import PacktraceError, VerificationError
from ledger.format import merkle, note
from ledger.format.note import Checkpoint, Verifier

MAX_PROOF_LINES = 63
SIZE_MEDIA_TYPE = "text/x.tlog.size"
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]*)")


@dataclass(frozen=True)
class TreeHead:
    """What the witness holds for one log: the latest size and root it cosigned."""

    size: int
    root: bytes


NEVER_COSIGNED = TreeHead(0, merkle.EMPTY_ROOT)


@dataclass(frozen=True)
class Submission:
    old: int
    proof: tuple[bytes, ...]
    checkpoint_note: str
    checkpoint: Checkpoint  # parsed from the note's text, not yet verified


@dataclass(frozen=True)
class Accepted:
    checkpoint_text: str  # the note text the cosignature signs
    head: TreeHead  # to record before cosigning


class Refusal(PacktraceError):
    """The witness does not cosign; `status` is the HTTP status the specification gives the reason."""

    code = "witness_refused"

    def __init__(self, status: int, message: str, *, held: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.held = held  # the witness's size, sent back with a 409

    @property
    def body(self) -> str:
        return f"{self.held}\n" if self.held is not None else f"{self.message}\n"

    @property
    def media_type(self) -> str:
        return SIZE_MEDIA_TYPE if self.held is not None else "text/plain; charset=utf-8"


def _malformed(why: str) -> Refusal:
    return Refusal(400, f"请求格式错误 malformed request: {why}")


def parse_submission(body: bytes) -> Submission:
    """Split the request body into old size, proof and checkpoint note; 400 when it does not parse."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(f"invalid UTF-8 at byte {exc.start}") from None
    # (1): the old size line, the proof lines and the blank line before the checkpoint.
    head, blank, checkpoint_note = text.partition("\n\n")
    if not blank:
        raise _malformed("no blank line between the proof and the checkpoint")
    lines = head.split("\n")
    if not (match := _OLD_LINE.fullmatch(lines[0])):
        raise _malformed(f"the first line must be 'old <size>' in decimal without leading zeroes, found {lines[0]!r}")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise _malformed(f"{len(lines) - 1} consistency proof lines, at most {MAX_PROOF_LINES}")
    proof = tuple(_proof_hash(line, number) for number, line in enumerate(lines[1:], start=1))
    # (2): the checkpoint note, its text parsed but its signatures not yet checked.
    try:
        checkpoint_text, _ = note.split_note(checkpoint_note)
        checkpoint = note.parse_checkpoint(checkpoint_text)
    except VerificationError as exc:
        raise _malformed(exc.message) from None
    return Submission(int(match.group(1)), proof, checkpoint_note, checkpoint)


def _proof_hash(line: str, number: int) -> bytes:
    try:
        raw = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != merkle.HASH_SIZE or base64.b64encode(raw).decode("ascii") != line:
        raise _malformed(f"consistency proof line {number} is not the base64 of a 32-byte hash: {line!r}")
    return raw


def decide(submission: Submission, logs: Mapping[str, Sequence[Verifier]], held: TreeHead) -> Accepted:
    """Whether to cosign `submission` for a witness trusting `logs` (origin → keys) and holding `held` for
    the checkpoint's origin (`NEVER_COSIGNED` when it never cosigned one); raises `Refusal`."""
    checkpoint = submission.checkpoint
    # (1): a log the witness is configured for, signed by one of its keys (others' signatures ignored).
    keys = logs.get(checkpoint.origin)
    if not keys:
        raise Refusal(404, f"未知日志 unknown log: this witness is not configured for origin {checkpoint.origin!r}")
    try:
        text, _ = note.open_note_any(submission.checkpoint_note, keys)
    except VerificationError as exc:
        raise Refusal(403, f"签名无效 not signed by the log: {exc.message}") from None
    # (2): old lies in [0, size], and is the size the witness holds.
    if submission.old > checkpoint.size:
        raise _malformed(f"old size {submission.old} is above the checkpoint's size {checkpoint.size}")
    if submission.old != held.size:
        raise Refusal(409, f"old size {submission.old}, the witness holds {held.size}", held=held.size)
    # (3): the proof leads from the held root to the checkpoint's root; a same-size root must be the held one.
    if submission.old == checkpoint.size:
        if submission.proof:
            raise Refusal(
                422, f"一致性证明无效 bad consistency proof: equal sizes {checkpoint.size} need an empty proof"
            )
        if checkpoint.root != held.root:
            raise Refusal(409, f"size {held.size} with another root than the witness holds", held=held.size)
    else:
        try:
            merkle.verify_consistency(held.size, checkpoint.size, submission.proof, held.root, checkpoint.root)
        except VerificationError as exc:
            raise Refusal(422, f"一致性证明无效 bad consistency proof: {exc.message}") from None
    return Accepted(text, TreeHead(checkpoint.size, checkpoint.root))


def trusted_logs(verifier_keys: Sequence[str]) -> dict[str, list[Verifier]]:
    """Origin → the log's keys, from C2SP verifier keys whose name is the log's origin."""
    logs: dict[str, list[Verifier]] = {}
    for text in verifier_keys:
        verifier = note.parse_verifier_key(text)
        logs.setdefault(verifier.name, []).append(verifier)
    return logs
