"""Between platforms (docs/federation.md): the peers this platform knows, the handover document it serves
for a pack it handed over, and the arrival of a pack another platform handed over to it.

The origin (A) serves `handover_document`: to its regulators, to the organisation that posted the transfer
(or export), and to a peer platform that signs its request with its log key (ledger.format.handover).
The destination (B) fetches that document with `receive_handover` (its server signs the request; the
HTTP call is the caller's `fetch`, outside any transaction), then the receiver signs its `arrived` claim
and posts it with the document to `arrive`, which verifies the document again, keeps the origin's bundle
and appends the claim. The rules of what the arrival says are events.federation's; the proof's check is
the append's (ledger.append.rules), so replay and `verify` re-check it without configuration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from events import federation, lots
from events.catalogue import ArrivedData, EventType, parse_payload
from events.errors import (
    AuthorisationError,
    InvalidClaim,
    InvalidPayload,
    NotFoundError,
    UnavailableError,
    VerificationError,
)
from events.lifecycle import Status
from ledger.append.outcome import Appended
from ledger.format import handover, note, tlogproof
from ledger.format.bundle import verify_bundle
from ledger.format.canonical import canonical
from ledger.log import Ledger
from ledger.store import handoverrows
from ledger.store.db import write_connection
from ledger.store.handoverrows import StoredBundle
from ledger.usecases import bundles, cosigning, passport, places
from ledger.usecases.access import Caller, Unauthenticated, require_authenticated, require_org
from ledger.usecases.keyedurls import parse_keyed_urls
from ledger.usecases.packreads import checked_code, unknown_pack
from ledger.usecases.views import OnwardPart, OriginEntry, OriginPart

HANDED_OVER = {Status.TRANSFERRED.value: EventType.TRANSFERRED.value, Status.EXPORTED.value: EventType.EXPORTED.value}
# fetch(url, headers) -> the parsed JSON body; raises events.errors.UnavailableError when the peer cannot be reached or
# answers with an error (api/ supplies it over HTTP)
Fetch = Callable[[str, Mapping[str, str]], Any]


@dataclass(frozen=True)
class Peer:
    """Another packtrace platform: its log's verifier key (whose name is its log origin) and base URL."""

    verifier_key: str
    url: str
    verifier: note.Verifier

    @property
    def origin(self) -> str:
        return self.verifier.name


def parse_peers(text: str) -> tuple[Peer, ...]:
    """PACKTRACE_PEERS: comma-separated `<peer log verifier key>=<base URL>`; ValueError naming the item."""
    items = parse_keyed_urls(text, "PACKTRACE_PEERS", "peer", "peer log verifier key", note.parse_verifier_key)
    return tuple(Peer(key, url, verifier) for key, url, verifier in items)


def _names(peers: Sequence[Peer]) -> str:
    return ", ".join(peer.origin for peer in peers) or "none"


def _peer_named(peers: Sequence[Peer], origin: str) -> Peer:
    for peer in peers:
        if peer.origin == origin:
            return peer
    raise InvalidPayload(
        f"{origin!r} is not a peer platform of this one; configured peers (PACKTRACE_PEERS): {_names(peers)}",
        code="unknown_peer",
    )


# -- at every append of the service layer -------------------------------------------------------------


def check_claims(peers: Sequence[Peer], claims: Iterable[Any]) -> None:
    """What the configuration decides about claims posted through the API: a transfer goes to a configured
    peer; an arrival comes with its handover document (`arrive`), never alone."""
    for claim in claims:
        if not isinstance(claim, Mapping):
            continue
        kind, data = claim.get("type"), claim.get("data")
        if kind == EventType.ARRIVED:
            raise InvalidClaim(
                "an arrival is posted with the origin's handover document: POST /v1/handovers (docs/federation.md)",
                code="handover_required",
            )
        if kind == EventType.TRANSFERRED and isinstance(data, Mapping) and isinstance(data.get("platform"), str):
            try:
                _peer_named(peers, data["platform"])
            except InvalidPayload as exc:
                raise InvalidPayload(
                    f"invalid 'transferred' payload: data.platform: {exc.message}", code="unknown_peer"
                ) from None


# -- the origin: the handover document ----------------------------------------------------------------


def _handover_entry(ledger: Ledger, code: str) -> tuple[int, dict[str, Any]]:
    """The pack's last `transferred` or `exported` entry (its index and the entry)."""
    state = ledger.pack_state(code)
    if state is None:
        raise unknown_pack(code)
    kind = HANDED_OVER.get(state.status)
    if kind is None:
        raise NotFoundError(
            f"pack {code} is {state.status}: a handover document exists for a transferred or exported pack",
            code="not_handed_over",
        )
    for index, _, body in reversed(ledger.pack_entries(code)):
        entry = json.loads(body)
        if entry["claim"]["type"] == kind:
            return index, entry
    raise NotFoundError(f"pack {code} has no {kind} entry")  # pragma: no cover - the status says it has


def _may_read(caller: Caller, entry: Mapping[str, Any], peer: note.Verifier | None) -> None:
    claim = entry["claim"]
    if peer is not None:
        if claim["type"] != EventType.TRANSFERRED:
            raise AuthorisationError(
                f"platform {peer.name!r} may not read the handover of pack {entry['pack']}: it was exported, not "
                "handed over to a platform"
            )
        if claim["data"].get("platform") != peer.name:
            raise AuthorisationError(
                f"platform {peer.name!r} may not read the handover of pack {entry['pack']}: it was handed over to "
                f"{claim['data'].get('platform')!r}"
            )
        return
    if caller.is_regulator or caller.org_id == claim["actor"]:
        return
    raise AuthorisationError(
        f"only a regulator, {claim['actor']!r} who handed the pack over, or the receiving platform may read the "
        f"handover of pack {entry['pack']}; you are {caller.describe()}"
    )


def handover_document(
    ledger: Ledger, caller: Caller, code: str, peers: Sequence[Peer], peer_request: str | None, now: int
) -> dict[str, Any]:
    """The handover document of a transferred or exported pack (docs/federation.md §2)."""
    code = checked_code(code)
    peer = None
    if peer_request is None:
        require_authenticated(caller, "reading a pack's handover document")
        if caller.jurisdiction is not None:  # a city's regulator reads a pack outside its city as any org does
            with ledger.engine.connect() as conn:
                caller = places.for_pack(conn, caller, code)
    else:
        try:
            peer = handover.open_request(
                peer_request, code, now, [p.verifier for p in peers], purpose="handover", audience=ledger.signer.origin
            )
        except VerificationError as exc:
            raise AuthorisationError(f"refused peer request: {exc.message}", code="bad_peer_request") from None
    try:
        index, entry = _handover_entry(ledger, code)
    except NotFoundError as exc:
        if exc.code != "not_handed_over" or (peer is None and caller.is_regulator):
            raise
        # a pack not handed over: its exact status is the regulator's to know, not any org's or peer's
        raise NotFoundError(f"pack {code} has no handover document you may read", code="not_handed_over") from None
    _may_read(caller, entry, peer)
    checkpoint = cosigning.cosigned_checkpoint(ledger, index + 1)
    if checkpoint is None:
        latest = ledger.latest_checkpoint()
        assert latest is not None  # the entry is in the log, under a checkpoint signed with it
        checkpoint = cosigning.with_cosignatures(ledger, latest)
    proof = tlogproof.encode(index, ledger.inclusion_proof(index, checkpoint.size), checkpoint.note)
    transfer = entry["claim"]["data"] if entry["claim"]["type"] == EventType.TRANSFERRED else {}
    shown = passport.get_passport(ledger, caller, code)
    return {
        "format": handover.HANDOVER_FORMAT,
        "origin": ledger.signer.origin,
        "code": code,
        "platform": transfer.get("platform"),
        "to": transfer.get("to"),
        "transfer": entry,
        "proof": proof,
        "bundle": bundles.make_bundle(ledger, code),
        "passport": shown.model_dump(mode="json"),
    }


# -- the destination: fetching the document, then the arrival ------------------------------------------


def _verified(document: Any, code: str, peer: Peer, own_origin: str) -> dict[str, Any]:
    try:
        handover.verify_document(document, code, peer.verifier_key)
    except VerificationError as exc:
        raise InvalidPayload(f"refused handover of pack {code}: {exc.message}", code="bad_handover") from None
    if document["platform"] != own_origin or document["transfer"]["claim"]["data"].get("platform") != own_origin:
        raise InvalidPayload(
            f"refused handover of pack {code}: {peer.origin!r} handed it to platform {document['platform']!r}, not "
            f"to this platform {own_origin!r}",
            code="bad_handover",
        )
    return dict(document)


def receive_handover(
    ledger: Ledger, caller: Caller, peers: Sequence[Peer], code: str, origin: str, fetch: Fetch, now: int
) -> dict[str, Any]:
    """Fetch the handover document of `code` from the peer `origin`, signing the request with this log's
    key, and verify it: what the receiver signs its `arrived` claim from."""
    require_org(caller, "receiving a pack from another platform")
    code = checked_code(code)
    peer = _peer_named(peers, origin)
    signed = handover.sign_request(
        code, now, ledger.signer.origin, ledger.signer.private_key, purpose="handover", audience=peer.origin
    )
    document = fetch(f"{peer.url}/v1/packs/{code}/handover", {handover.PEER_HEADER: signed})
    return _verified(document, code, peer, ledger.signer.origin)


def arrive(ledger: Ledger, caller: Caller, peers: Sequence[Peer], claim: Any, sig: Any, document: Any) -> Appended:
    """Append the receiver's `arrived` claim, checked against the handover document beside it, and keep the
    origin's bundle (docs/federation.md §3)."""
    org = require_org(caller, "posting an arrival")
    if (
        not isinstance(claim, Mapping)
        or claim.get("type") != EventType.ARRIVED
        or not isinstance(claim.get("pack"), str)
    ):
        raise InvalidClaim("POST /v1/handovers takes an 'arrived' claim", code="not_an_arrival")
    if lots.is_lot_subject(claim["pack"]):
        raise InvalidClaim("an arrival is of a battery pack, not of a recycler lot", code="not_an_arrival")
    code = checked_code(claim["pack"])
    raw = claim.get("data")
    data = parse_payload(EventType.ARRIVED, raw if isinstance(raw, Mapping) else {})
    assert isinstance(data, ArrivedData)
    peer = _peer_named(peers, data.platform)
    if data.platform_key != peer.verifier_key:
        raise InvalidPayload(
            f"invalid 'arrived' payload: data.platform_key is not the log key configured for {peer.origin!r}",
            code="unknown_peer",
        )
    document = _verified(document, code, peer, ledger.signer.origin)
    _same(data, document)
    federation.check_transfer(code, org.id, data, ledger.signer.origin)
    if data.bundle_sha256 != handover.bundle_sha256(document["bundle"]):
        raise _refused("data.bundle_sha256 is not the SHA-256 of the handover document's bundle")
    entries = document["bundle"]["entries"]
    problem = federation.produced_problem(data, entries, handover.transfer_hash(entries[0])) or (
        federation.arrival_time_problem(str(claim.get("at")), data)
    )
    if problem is not None:
        raise _refused(problem)
    with write_connection(ledger.engine) as conn, conn.begin():  # before the entry: the log binds it by hash
        handoverrows.save(conn, StoredBundle(code, peer.origin, data.bundle_sha256, canonical(document["bundle"])))
    return ledger.append_one(claim, sig, as_org=org.id)


def _refused(problem: str) -> InvalidPayload:
    return InvalidPayload(f"invalid 'arrived' payload: {problem}", code="bad_handover")


def _same(data: ArrivedData, document: Mapping[str, Any]) -> None:
    if canonical(data.transfer) != canonical(document["transfer"]):
        raise _refused("data.transfer is not the handover document's transfer entry")
    if data.proof != document["proof"]:
        raise _refused("data.proof is not the handover document's proof")


# -- reading the origin's part ---------------------------------------------------------------------------


def _origin_entries(bundle: Mapping[str, Any]) -> list[OriginEntry]:
    entries = bundle.get("entries")
    if not isinstance(entries, list):
        return []
    shown = []
    for entry in entries:
        claim = entry["claim"]
        shown.append(
            OriginEntry(
                index=entry["index"],
                seq=entry["seq"],
                type=claim["type"],
                at=claim["at"],
                recorded_at=entry["recorded_at"],
                actor=claim["actor"],
                data=claim["data"],
            )
        )
    return shown


def origin_part(ledger: Ledger, code: str, peers: Sequence[Peer]) -> OriginPart | None:
    """The origin's bundle of a pack that arrived here, verified under the configured peer's key and bound
    to the arrival by hash; None for a pack that did not arrive from another platform."""
    entries = ledger.pack_entries(code, 0, 1)
    if not entries:
        return None
    first = json.loads(entries[0].body)["claim"]
    if first["type"] != EventType.ARRIVED:
        return None
    with ledger.engine.connect() as conn:
        stored = handoverrows.get(conn, code, str(first["data"]["bundle_sha256"]))
    platform = first["data"]["platform"]
    if stored is None:
        return OriginPart(
            platform=platform, verified=False, problem="the origin's bundle is not stored here", entries=[]
        )
    bundle = json.loads(stored.body)
    shown = _origin_entries(bundle)

    def unverified(problem: str) -> OriginPart:
        return OriginPart(platform=platform, verified=False, problem=problem, entries=shown)

    if handover.bundle_sha256(bundle) != first["data"]["bundle_sha256"]:
        return unverified("the stored bundle is not the one the arrival names (bundle_sha256)")
    peer = next((p for p in peers if p.origin == platform), None)
    if peer is None:
        return unverified(f"{platform!r} is not a configured peer (PACKTRACE_PEERS): no key to verify with")
    try:
        verify_bundle(bundle, peer.verifier_key)
    except VerificationError as exc:
        return unverified(exc.message)
    return OriginPart(platform=platform, verified=True, problem=None, entries=shown)


# -- the continuation: the pack's life on the platform it was handed over to (docs/federation.md §6) ------


def continuation(
    ledger: Ledger, code: str, peers: Sequence[Peer], peer_request: str | None, now: int
) -> dict[str, Any]:
    """The destination's bundle of a pack that arrived here, for the peer platform it came from, which signs
    its request with its log key (the same note as the handover request)."""
    code = checked_code(code)
    if peer_request is None:
        raise Unauthenticated(
            f"reading a pack's continuation takes a request signed by the origin platform's log key "
            f"({handover.PEER_HEADER})"
        )
    try:
        peer = handover.open_request(
            peer_request, code, now, [p.verifier for p in peers], purpose="continuation", audience=ledger.signer.origin
        )
    except VerificationError as exc:
        raise AuthorisationError(f"refused peer request: {exc.message}", code="bad_peer_request") from None
    entries = ledger.pack_entries(code, 0, 1)
    if not entries:
        raise unknown_pack(code)
    first = json.loads(entries[0].body)["claim"]
    origin = first["data"].get("platform") if first["type"] == EventType.ARRIVED else None
    if origin != peer.name:
        came = f"it arrived from {origin!r}" if origin else "it did not arrive from another platform"
        raise AuthorisationError(f"platform {peer.name!r} may not read the continuation of pack {code}: {came}")
    return bundles.make_bundle(ledger, code)


def onward_part(ledger: Ledger, code: str, peers: Sequence[Peer], fetch: Fetch, now: int) -> OnwardPart | None:
    """The life of a pack this platform handed over, on the platform it went to: fetched now with this log's
    signed request (nothing is cached), verified under the configured peer's key and bound to this
    platform's transfer entry by its hash; None for a pack not transferred to another platform."""
    state = ledger.pack_state(code)
    if state is None or state.status != Status.TRANSFERRED.value:
        return None
    _, transfer = _handover_entry(ledger, code)
    platform = str(transfer["claim"]["data"]["platform"])

    def not_shown(problem: str, *, available: bool) -> OnwardPart:
        return OnwardPart(platform=platform, available=available, verified=False, problem=problem, entries=[])

    peer = next((p for p in peers if p.origin == platform), None)
    if peer is None:
        return not_shown(f"{platform!r} is not a configured peer (PACKTRACE_PEERS): no URL to ask", available=False)
    signed = handover.sign_request(
        code, now, ledger.signer.origin, ledger.signer.private_key, purpose="continuation", audience=peer.origin
    )
    try:
        bundle = fetch(f"{peer.url}/v1/packs/{code}/continuation", {handover.PEER_HEADER: signed})
    except UnavailableError as exc:
        return not_shown(exc.message, available=False)
    try:
        handover.verify_continuation(bundle, code, transfer, peer.verifier_key, ledger.signer.origin)
    except VerificationError as exc:
        return OnwardPart(
            platform=platform, available=True, verified=False, problem=exc.message, entries=_entries_shown(bundle)
        )
    return OnwardPart(platform=platform, available=True, verified=True, problem=None, entries=_origin_entries(bundle))


def _entries_shown(bundle: Any) -> list[OriginEntry]:
    """The entries of a bundle that did not verify, as far as they read as entries (none when they do not)."""
    try:
        return _origin_entries(bundle) if isinstance(bundle, Mapping) else []
    except (KeyError, TypeError, ValueError, AttributeError):
        return []
