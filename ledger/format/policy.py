"""Trust policies: which log keys and witnesses a verifier trusts, and how many witnesses must have
cosigned a checkpoint before it believes it (docs/ledger-format.md §9; in the spirit of C2SP tlog-policy
and the Sigsum policy file).

    log <log verifier key> [<url>]                        one line per key; several: a key rollover
    witness <name> <cosignature verifier key> [<url>]
    group <name> <k|all|any> <member> …                   members: witnesses or groups named above
    quorum <name|none>                                    exactly one
    # a comment                                           and blank lines

Parsing raises `PolicyError` naming the line; checking a checkpoint raises `VerificationError` naming
who cosigned, who did not and what the quorum needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from events.errors import InputError, VerificationError
from ledger.format import cosignature, note, tlogproof
from ledger.format.bundle import BundleSummary, verify_bundle

# A cosignature dated more than this after the verifier's clock is not counted: a witness's clock may run
# a little ahead, but a cosignature from the future says the witness's clock (or the cosignature) is wrong.
MAX_FUTURE_SECONDS = 600
NONE = "none"
_RESERVED = {NONE, "all", "any"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_COUNT = re.compile(r"[1-9][0-9]{0,2}")
_URL = re.compile(r"https?://[^\s]+")


class PolicyError(InputError):
    """A policy file that does not parse: `line` is its 1-based line number (None: the file as a whole)."""

    code = "bad_policy"

    def __init__(self, problem: str, *, line: int | None = None, source: str = "policy") -> None:
        super().__init__(f"{source} line {line}: {problem}" if line is not None else f"{source}: {problem}")
        self.problem = problem
        self.line = line


class QuorumNotMet(VerificationError):
    """A checkpoint signed by the log whose valid cosignatures do not meet the policy's quorum."""

    code = "quorum_not_met"


@dataclass(frozen=True)
class LogKey:
    text: str  # the verifier key as the policy gives it
    verifier: note.Verifier
    url: str | None


@dataclass(frozen=True)
class Witness:
    name: str  # the policy's name for it
    text: str
    verifier: note.Verifier
    url: str | None


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    word: str  # as written: "all", "any" or the number
    members: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    logs: tuple[LogKey, ...]
    witnesses: Mapping[str, Witness]
    groups: Mapping[str, Group]
    quorum: str | None  # None: `quorum none`, the log's key alone suffices

    def describe(self, name: str | None = None) -> str:
        """The quorum (or the named member) in words: `regulators: 2 of (miit, samr, assoc)`."""
        name = self.quorum if name is None else name
        if name is None:
            return "none (no cosignature needed)"
        group = self.groups.get(name)
        if group is None:
            return name
        return f"{name}: {group.word} of ({', '.join(self.describe(m) for m in group.members)})"

    def satisfied(self, cosigned: set[str], name: str | None = None) -> bool:
        """Whether the witnesses `cosigned` meet the quorum (or the named member)."""
        name = self.quorum if name is None else name
        if name is None:
            return True
        group = self.groups.get(name)
        if group is None:
            return name in cosigned
        return sum(self.satisfied(cosigned, m) for m in group.members) >= group.threshold


# --- Parsing ------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self) -> None:
        self.logs: list[LogKey] = []
        self.witnesses: dict[str, Witness] = {}
        self.groups: dict[str, Group] = {}
        self.quorum: tuple[str | None, int] | None = None

    def line(self, words: list[str], number: int) -> None:
        keyword, args = words[0], words[1:]
        handler = {"log": self.log, "witness": self.witness, "group": self.group, "quorum": self.set_quorum}.get(
            keyword
        )
        if handler is None:
            raise PolicyError(
                f"unknown keyword {keyword[:40]!r} (expected log, witness, group or quorum, or # for a comment)",
                line=number,
            )
        handler(args, number)

    def log(self, args: list[str], number: int) -> None:
        if len(args) not in (1, 2):
            raise PolicyError(f"'log' takes a verifier key and an optional URL, found {len(args)} values", line=number)
        verifier = _key(args[0], "log", note.parse_verifier_key, number)
        if any(k.verifier.label == verifier.label for k in self.logs):
            raise PolicyError(f"log key {verifier.label} is given twice", line=number)
        self.logs.append(LogKey(args[0], verifier, _url(args[1:], number)))

    def witness(self, args: list[str], number: int) -> None:
        if len(args) not in (2, 3):
            raise PolicyError(
                f"'witness' takes a name, a cosignature verifier key and an optional URL, found {len(args)} values",
                line=number,
            )
        name = self._new_name(args[0], number)
        verifier = _key(args[1], f"witness {name}", cosignature.parse_verifier_key, number)
        for other in self.witnesses.values():
            if other.verifier.label == verifier.label:
                raise PolicyError(f"witness {name} has the key of witness {other.name}", line=number)
        self.witnesses[name] = Witness(name, args[1], verifier, _url(args[2:], number))

    def group(self, args: list[str], number: int) -> None:
        if len(args) < 3:
            raise PolicyError(
                f"'group' takes a name, a threshold (a number, all or any) and at least one member, found "
                f"{len(args)} values",
                line=number,
            )
        name = self._new_name(args[0], number)
        word, members = args[1], args[2:]
        for member in members:
            if member not in self.witnesses and member not in self.groups:
                raise PolicyError(
                    f"group {name}: member {member[:64]!r} is not a witness or group defined above", line=number
                )
        if len(set(members)) != len(members):
            twice = next(m for m in members if members.count(m) > 1)
            raise PolicyError(f"group {name}: member {twice} is listed twice", line=number)
        if word == "all":
            threshold = len(members)
        elif word == "any":
            threshold = 1
        elif _COUNT.fullmatch(word) and int(word) <= len(members):
            threshold = int(word)
        else:
            raise PolicyError(
                f"group {name}: threshold must be all, any or a number from 1 to {len(members)} (its members), "
                f"found {word[:40]!r}",
                line=number,
            )
        self.groups[name] = Group(name, threshold, word, tuple(members))

    def set_quorum(self, args: list[str], number: int) -> None:
        if len(args) != 1:
            raise PolicyError(f"'quorum' takes one name (a witness, a group or none), found {len(args)}", line=number)
        if self.quorum is not None:
            raise PolicyError(f"a second quorum line (the first is line {self.quorum[1]})", line=number)
        name = args[0]
        if name != NONE and name not in self.witnesses and name not in self.groups:
            raise PolicyError(f"quorum {name[:64]!r} is not none or a witness or group defined above", line=number)
        self.quorum = (None if name == NONE else name, number)

    def _new_name(self, name: str, number: int) -> str:
        if not _NAME.fullmatch(name) or name in _RESERVED:
            raise PolicyError(
                f"name {name[:64]!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or "
                "digit, and not none, all or any",
                line=number,
            )
        if name in self.witnesses or name in self.groups:
            raise PolicyError(f"name {name} is already defined", line=number)
        return name

    def policy(self) -> Policy:
        if not self.logs:
            raise PolicyError("no 'log' line: a policy names at least one log key")
        if self.quorum is None:
            raise PolicyError("no 'quorum' line: say which witness or group must cosign, or 'quorum none'")
        return Policy(tuple(self.logs), dict(self.witnesses), dict(self.groups), self.quorum[0])


def _key(text: str, what: str, parse: Any, number: int) -> note.Verifier:
    try:
        verifier: note.Verifier = parse(text)
    except VerificationError as exc:
        raise PolicyError(f"{what}: {exc.message}", line=number) from None
    return verifier


def _url(args: list[str], number: int) -> str | None:
    if not args:
        return None
    if not _URL.fullmatch(args[0]):
        raise PolicyError(f"URL must start with http:// or https://, found {args[0][:64]!r}", line=number)
    return args[0]


def parse_policy(text: str) -> Policy:
    """Read a policy strictly: every line a comment, blank, or one of log, witness, group, quorum."""
    parser = _Parser()
    for number, line in enumerate(text.split("\n"), start=1):
        if bad := next((c for c in line if c < " " and c != "\t"), None):
            raise PolicyError(f"control character U+{ord(bad):04X}", line=number)
        words = line.split()
        if words and not words[0].startswith("#"):
            parser.line(words, number)
    return parser.policy()


def read_policy(path: Path) -> Policy:
    """The policy in the file at `path`; a problem names the file and line."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"not UTF-8 text (invalid byte at offset {exc.start})", source=str(path)) from None
    except OSError as exc:
        raise PolicyError(f"cannot be read: {exc.strerror or exc}", source=str(path)) from None
    try:
        return parse_policy(text)
    except PolicyError as exc:
        raise PolicyError(exc.problem, line=exc.line, source=str(path)) from None


# --- Checking a checkpoint ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A checkpoint the policy accepts: who signed it and which witnesses' cosignatures counted."""

    checkpoint: note.Checkpoint
    log_key: LogKey
    cosigned: dict[str, int]  # witness name -> cosignature timestamp, in the policy's order
    quorum: str

    def summary(self) -> str:
        names = ", ".join(self.cosigned) or "none"
        return f"cosigned by {names}; quorum {self.quorum}"


def check_checkpoint(signed_note: str, policy: Policy, *, now: int) -> Accepted:
    """Accept the checkpoint note if a log key of the policy signed it under its origin and the valid
    cosignatures of the policy's witnesses meet its quorum. `now` is the verifier's clock (POSIX seconds)."""
    # (1): a log key of the policy signed it; every signature by one of them verifies (note.open_note_any).
    text, signers = note.open_note_any(signed_note, [k.verifier for k in policy.logs])
    checkpoint = note.parse_checkpoint(text)
    # (2): the checkpoint's origin is the signing key's name.
    for signer in signers:
        if signer.name != checkpoint.origin:
            raise VerificationError(
                f"checkpoint origin {checkpoint.origin!r} is not the name of the log key that signed it "
                f"({signer.label})"
            )
    log_key = next(k for k in policy.logs if k.verifier.label == signers[0].label)
    # (3): each witness's cosignature counts if it verifies and is not dated after now + the margin;
    # a line by a key the policy does not name is ignored, and so is a bad one (it is reported).
    _, lines = note.split_note(signed_note)
    present = {(name, key_id) for name, key_id, _ in lines}
    known = {(k.verifier.name, k.verifier.key_id) for k in policy.logs}
    cosigned: dict[str, int] = {}
    ignored: list[str] = []
    for witness in policy.witnesses.values():
        if (witness.verifier.name, witness.verifier.key_id) not in present:
            continue
        known.add((witness.verifier.name, witness.verifier.key_id))
        try:
            timestamp = cosignature.verify_cosignature(signed_note, witness.verifier)
        except VerificationError as exc:
            ignored.append(f"{witness.name}: {exc.message}")
            continue
        if timestamp > now + MAX_FUTURE_SECONDS:
            ignored.append(
                f"{witness.name}: cosignature dated {timestamp}, more than {MAX_FUTURE_SECONDS} s after now ({now})"
            )
            continue
        cosigned[witness.name] = timestamp
    # (4): the cosigners meet the quorum.
    if not policy.satisfied(set(cosigned)):
        missing = [name for name in policy.witnesses if name not in cosigned]
        strangers = sorted({f"{name}+{key_id.hex()}" for name, key_id, _ in lines} - _labels(known))
        parts = [
            f"checkpoint {checkpoint.origin} at size {checkpoint.size} does not meet the policy's quorum "
            f"{policy.describe()}",
            f"cosigned by: {', '.join(cosigned) or 'none'}",
            f"not cosigned by: {', '.join(missing) or 'none'}",
        ]
        if ignored:
            parts.append(f"not counted: {'; '.join(ignored)}")
        if strangers:
            parts.append(f"signatures by keys the policy does not name (ignored): {', '.join(strangers)}")
        raise QuorumNotMet("; ".join(parts))
    return Accepted(checkpoint, log_key, cosigned, policy.describe())


def _labels(pairs: set[tuple[str, bytes]]) -> set[str]:
    return {f"{name}+{key_id.hex()}" for name, key_id in pairs}


def verify_bundle_by_policy(bundle: Any, policy: Policy, *, now: int) -> tuple[BundleSummary, Accepted]:
    """Check a bundle's checkpoint against the policy, then the bundle with the log key that signed it."""
    checkpoint = bundle.get("checkpoint") if isinstance(bundle, dict) else None
    if not isinstance(checkpoint, str):
        raise VerificationError("malformed bundle: no checkpoint note")
    accepted = check_checkpoint(checkpoint, policy, now=now)
    return verify_bundle(bundle, accepted.log_key.text), accepted


def verify_tlog_proof_by_policy(
    text: str, entry: bytes, policy: Policy, *, now: int
) -> tuple[tlogproof.TlogProof, note.Checkpoint, Accepted]:
    """Check a tlog-proof's checkpoint against the policy, then the proof of `entry` with the log key that
    signed it."""
    accepted = check_checkpoint(tlogproof.parse(text).checkpoint, policy, now=now)
    proof, checkpoint = tlogproof.verify(text, entry, accepted.log_key.text)
    return proof, checkpoint, accepted
