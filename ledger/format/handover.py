"""Between platforms (docs/federation.md): the handover document, the peer's signed request for it, and the
check of an arrival's proof. Pure: bytes, notes and proofs, no database and no configuration.

    handover document   {"format": "packtrace-handover/1", "origin", "code", "platform", "to", "transfer",
                         "proof", "bundle", "passport"}: what the origin platform hands over with a pack
    peer request        a C2SP signed note by the requesting platform's log key, text
                        `packtrace-handover-request/1\\n<code>\\n<unix time>\\n`, sent base64 in the
                        `Packtrace-Peer` header
    arrival proof       the C2SP tlog-proof of the origin's transfer entry, which verifies under the origin
                        log's key and whose checkpoint names the origin

Verification raises `VerificationError` and nothing else, with expected-versus-found in the message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from events import federation
from events.errors import PacktraceError, VerificationError
from ledger.format import note, tlogproof
from ledger.format.bundle import BUNDLE_FORMAT, BundleSummary, verify_bundle
from ledger.format.canonical import canonical, entry_hash
from ledger.format.policy import Policy, check_checkpoint

HANDOVER_FORMAT = "packtrace-handover/1"
REQUEST_LINE = "packtrace-handover-request/2"
PURPOSES = ("handover", "continuation")  # what a peer's request may read: the origin's document, or B's bundle
PEER_HEADER = "Packtrace-Peer"
REQUEST_WINDOW_SECONDS = 300
_SECONDS = re.compile(r"[0-9]{1,20}")  # a Unix time in ASCII digits (str.isdigit would take '²')
DOCUMENT_MEMBERS = frozenset({"format", "origin", "code", "platform", "to", "transfer", "proof", "bundle", "passport"})


def bundle_sha256(bundle: Any) -> str:
    """SHA-256 of the canonical (RFC 8785) bytes of a bundle, lowercase hex: what an arrival binds."""
    return hashlib.sha256(canonical(bundle)).hexdigest()


# -- the peer's request --------------------------------------------------------------------------------


def request_text(purpose: str, audience: str, code: str, unix_time: int) -> str:
    """A peer's request: what it reads (`purpose`), from which platform (`audience`, its log origin), of which
    pack, when: a note replayed to another endpoint or another platform is refused there."""
    return f"{REQUEST_LINE}\n{purpose}\n{audience}\n{code}\n{unix_time}\n"


def sign_request(code: str, unix_time: int, name: str, private_key: Any, *, purpose: str, audience: str) -> str:
    """The `Packtrace-Peer` header value: base64 of the request note signed by the platform's log key."""
    signed = note.sign_note(request_text(purpose, audience, code, unix_time), name, private_key)
    return base64.b64encode(signed.encode("utf-8")).decode("ascii")


def open_request(
    header: str, code: str, now: int, peers: Sequence[note.Verifier], *, purpose: str, audience: str
) -> note.Verifier:
    """The configured peer whose log key signed a fresh request for `code`, for `purpose`, addressed to this
    platform (`audience`); VerificationError otherwise."""
    try:
        signed = base64.b64decode(header.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise VerificationError(f"{PEER_HEADER}: not base64 of a signed note") from None
    # (1): signed by a configured peer's log key.
    text, signers = note.open_note_any(signed, peers) if peers else ("", [])
    if not signers:
        raise VerificationError(f"{PEER_HEADER}: no peer platform is configured (PACKTRACE_PEERS)")
    # (2): a request of this purpose, to this platform, for this code, (3) made within the window.
    lines = text.split("\n")
    if len(lines) != 6 or lines[0] != REQUEST_LINE or lines[5] != "":
        raise VerificationError(f"{PEER_HEADER}: the note is not a {REQUEST_LINE} request")
    if lines[1] != purpose:
        raise VerificationError(f"{PEER_HEADER}: the request is to read the {lines[1][:20]!r}, not the {purpose}")
    if lines[2] != audience:
        raise VerificationError(
            f"{PEER_HEADER}: the request is addressed to {lines[2][:100]!r}, not to this platform {audience!r}"
        )
    if lines[3] != code:
        raise VerificationError(f"{PEER_HEADER}: the request is for {lines[3][:40]!r}, not {code}")
    if not _SECONDS.fullmatch(lines[4]) or abs(now - int(lines[4])) > REQUEST_WINDOW_SECONDS:
        raise VerificationError(
            f"{PEER_HEADER}: the request time {lines[4][:20]!r} is not within {REQUEST_WINDOW_SECONDS} s of {now}"
        )
    return signers[0]


# -- the arrival's proof -------------------------------------------------------------------------------


def verify_transfer_proof(transfer: Mapping[str, Any], proof: str, platform_key: str, platform: str) -> note.Checkpoint:
    """Check that `transfer` (an entry, verbatim) is in the log `platform` under `proof`, a C2SP tlog-proof
    whose checkpoint is signed by `platform_key`, the key of that log; the checkpoint."""
    try:
        verifier = note.parse_verifier_key(platform_key)
    except VerificationError as exc:
        raise VerificationError(f"the origin's log key is not a verifier key: {exc.message}") from None
    # (1): the key is the origin's.
    if verifier.name != platform:
        raise VerificationError(f"the log key is {verifier.name!r}'s, not the origin {platform!r}'s")
    # (2): the transfer entry is the leaf at the proof's index, under a checkpoint signed by that key.
    try:
        parsed, checkpoint = tlogproof.verify(proof, canonical(dict(transfer)), verifier)
    except VerificationError as exc:
        raise VerificationError(f"the origin's proof of the transfer entry does not verify: {exc.message}") from None
    except PacktraceError as exc:
        raise VerificationError(f"the transfer entry is not canonical JSON: {exc.message}") from None
    # (3): of the origin's log, at the entry's own index.
    if checkpoint.origin != platform:
        raise VerificationError(f"the proof's checkpoint is of the log {checkpoint.origin!r}, not {platform!r}")
    if parsed.index != transfer.get("index"):
        raise VerificationError(
            f"the proof is of index {parsed.index}, the transfer entry's is {transfer.get('index')}"
        )
    return checkpoint


# -- the handover document ----------------------------------------------------------------------------


def verify_document(document: Any, code: str, peer_key: str) -> BundleSummary:
    """Check a handover document the origin `peer_key` names: its bundle (ledger.format.bundle) under that
    key, the transfer entry as the bundle holds it, and its proof; what the bundle proved."""
    if not isinstance(document, dict) or set(document) != DOCUMENT_MEMBERS:
        raise VerificationError(f"not a {HANDOVER_FORMAT} document (members {', '.join(sorted(DOCUMENT_MEMBERS))})")
    if document["format"] != HANDOVER_FORMAT:
        raise VerificationError(f"not a {HANDOVER_FORMAT} document (format {document['format']!r})")
    origin = note.parse_verifier_key(peer_key).name
    if document["origin"] != origin or document["code"] != code:
        raise VerificationError(
            f"the document is of pack {document['code']!r} on {document['origin']!r}, not {code} on {origin!r}"
        )
    # (1): the full bundle (every entry verbatim), under the origin's key.
    bundle = document["bundle"]
    shape = bundle.get("format") if isinstance(bundle, dict) else None
    if shape != BUNDLE_FORMAT:
        raise VerificationError(f"the bundle is a {str(shape)[:40]}, not the full bundle ({BUNDLE_FORMAT})")
    summary = verify_bundle(bundle, peer_key)
    if summary.pack != code:
        raise VerificationError(f"the bundle is of pack {summary.pack}, not {code}")
    # (2): the transfer entry is the bundle's entry at its seq, verbatim.
    transfer = document["transfer"]
    entries = document["bundle"]["entries"]
    seq = transfer.get("seq") if isinstance(transfer, dict) else None
    if not isinstance(seq, int) or not 0 <= seq < len(entries) or entries[seq] != transfer:
        raise VerificationError("the transfer entry is not the bundle's entry at its seq")
    # (3): its proof.
    verify_transfer_proof(transfer, document["proof"], peer_key, origin)
    return summary


def transfer_hash(transfer: Mapping[str, Any]) -> str:
    return entry_hash(canonical(dict(transfer)))


def arrival_produced(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """What an arrival copies as `produced` from the origin's full bundle: its first entry's data with the
    origin's corrections of it applied (events.federation.origin_produced)."""
    entries = bundle["entries"]
    return federation.origin_produced(entries, entry_hash(canonical(dict(entries[0]))))


# -- verify-bundle on the destination ------------------------------------------------------------------


def check_arrival_in_bundle(
    bundle: Any, peers: Sequence[str], *, policy: Policy | None = None, now: int = 0
) -> str | None:
    """For a bundle whose chain starts with an `arrived` entry: check the origin's proof of its transfer
    entry under a trusted peer key (`peers`, C2SP verifier keys; or a log key of `policy`, whose quorum the
    proof's checkpoint must then meet), and that the transfer hands the pack to the arrival's poster on the
    bundle's own log. The origin's name when verified; None when the chain does not start with an arrival;
    VerificationError saying why the origin's part is unverified."""
    entries = bundle.get("entries") if isinstance(bundle, dict) else None
    first = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else None
    claim = first.get("claim") if first is not None else None
    if not isinstance(claim, dict) or claim.get("type") != "arrived":
        return None
    data = claim["data"]
    platform, key = data.get("platform"), data.get("platform_key")
    if policy is not None:  # (0): the proof's checkpoint meets the peer's trust policy, signed by one of its logs
        try:
            accepted = check_checkpoint(tlogproof.parse(data["proof"]).checkpoint, policy, now=now)
        except VerificationError as exc:
            raise VerificationError(f"the origin part ({platform!r}) is unverified: {exc.message}") from None
        peers = [*peers, accepted.log_key.text]
    # (1): the arrival names a key the verifier trusts as that peer's.
    if key not in peers:
        trusted = ", ".join(note.parse_verifier_key(peer).name for peer in peers) or "none"
        raise VerificationError(
            f"the origin part ({platform!r}) is unverified: its log key is not a trusted peer key "
            f"(--peer; trusted: {trusted})"
        )
    # (2): the proof of the transfer entry, under that key.
    try:
        verify_transfer_proof(data["transfer"], data["proof"], key, platform)
    except VerificationError as exc:
        raise VerificationError(f"the origin part ({platform!r}) is unverified: {exc.message}") from None
    # (3): the transfer hands this pack to the arrival's poster, on this log.
    transfer = data["transfer"]["claim"]
    own = note.parse_checkpoint(_note_text(bundle["checkpoint"])).origin
    if (transfer.get("pack"), transfer["data"].get("to"), transfer["data"].get("platform")) != (
        claim["pack"],
        claim["actor"],
        own,
    ):
        raise VerificationError(
            f"the origin part ({platform!r}) is unverified: its transfer does not hand pack {claim['pack']} to "
            f"{claim['actor']!r} on {own!r}"
        )
    return str(platform)


def _note_text(signed: str) -> str:
    text, _, _ = signed.partition("\n\n")
    return text + "\n"


# -- the continuation: the pack's life on the platform it was handed over to ------------------------------


def verify_continuation(
    bundle: Any, code: str, transfer: Mapping[str, Any], peer_key: str, own_origin: str
) -> BundleSummary:
    """Check the bundle the peer `peer_key` serves of pack `code` that this platform (`own_origin`) handed
    over to it with the entry `transfer`: the peer's part of the pack's life, starting with its arrival."""
    # (1): a full bundle (every entry disclosed), under the peer's log key.
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        found = bundle.get("format") if isinstance(bundle, dict) else type(bundle).__name__
        raise VerificationError(f"not a {BUNDLE_FORMAT} bundle (found {str(found)[:40]!r})")
    summary = verify_bundle(bundle, peer_key)
    # (2): of this pack.
    if summary.pack != code:
        raise VerificationError(f"the bundle is of pack {summary.pack}, not {code}")
    # (3): its chain starts with an arrival from this platform, posted by the organisation it was handed to.
    first = bundle["entries"][0]["claim"]
    if first["type"] != "arrived":
        raise VerificationError(f"the peer's chain of pack {code} starts with {first['type']!r}, not 'arrived'")
    if first["data"].get("platform") != own_origin:
        raise VerificationError(
            f"the arrival names the origin {first['data'].get('platform')!r}, not this platform {own_origin!r}"
        )
    # (4): the arrival names this platform's transfer entry (the same hash), and its poster is the receiver.
    expected = transfer_hash(transfer)
    named = "(not an entry)"
    if isinstance(first["data"].get("transfer"), Mapping):
        try:
            named = transfer_hash(first["data"]["transfer"])
        except PacktraceError:
            named = "(not canonical JSON)"
    if named != expected:
        raise VerificationError(
            f"the arrival names the transfer entry {named[:16]}…, not this platform's transfer entry "
            f"{expected[:16]}… (index {transfer.get('index')})"
        )
    if first["actor"] != transfer["claim"]["data"].get("to"):
        raise VerificationError(
            f"the arrival was posted by {first['actor']!r}, not by {transfer['claim']['data'].get('to')!r} the "
            "pack was handed to"
        )
    return summary
