"""Steps (3) and (4) of an append, for one request against the group's working set (`Pending`): answer
retries, check each claim (its key at the recording time, its `prev`, the domain's rule, a correction's
target), and stage its entry. A request passes whole or not at all."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from events.components import Folded, children_named, fold, may_link
from events.corrections import corrected
from events.errors import AuthorisationError, ConflictError, InvalidClaim, InvalidPayload, PacktraceError
from events.permissions import check_correction_author
from events.state import PackState
from events.timestamps import format_recorded_at
from ledger.append.outcome import Appended
from ledger.append.pending import Pending
from ledger.append.request import Request
from ledger.append.rules import Validator
from ledger.format.canonical import canonical, entry_bytes, entry_hash
from ledger.format.claims import SignedClaim
from ledger.store import appending
from ledger.store.appending import SigningKey
from ledger.store.correctionrows import CorrectionRow

Fresh = list[tuple[int, SignedClaim]]  # claims to append, with their numbers in the request


def apply_request(pending: Pending, request: Request, validator: Validator) -> list[Appended]:
    """Check one request against the state so far and stage its entries; raise BatchRejected (leaving the
    staged rows as they were; the caller restores the packs' states) if any item fails."""
    errors: dict[int, PacktraceError] = {}
    results: list[Appended | None] = [None] * len(request.claims)
    fresh = sort_out_retries(pending, request.claims, results, errors)
    for n, exc in validator.batch_problems([sc.event for _, sc in fresh]):
        errors[fresh[n][0]] = exc
    mark = len(pending.rows)
    staged = stage_claims(pending, fresh, validator, results, errors)
    if errors or request.rejected:  # then list its signature failures too; otherwise they come last
        pending.discard_from(mark)
        raise request.rejection(errors | request.signature_failures())
    for sc, appended in staged:
        pending.touched[sc.pack] = appended.index
        pending.claimed[(sc.actor, sc.id)] = (sc.claim_bytes, appended)
    return [r for r in results if r is not None]


def sort_out_retries(
    pending: Pending, claims: list[SignedClaim], results: list[Appended | None], errors: dict[int, PacktraceError]
) -> Fresh:
    """(3): answer a claim recorded already (same actor and id) with its entry, refuse an id reused for
    another claim or twice in the request; the claims left to append."""
    fresh: Fresh = []
    seen: set[tuple[str, str]] = set()
    for pos, sc in enumerate(claims):
        earlier = earlier_entry(pending, sc)
        if earlier is not None:
            same, entry = earlier
            if same:
                results[pos] = entry
            else:
                errors[pos] = ConflictError(
                    f"claim id {sc.id} of {sc.actor!r} was already used for a different claim (entry {entry.index})",
                    code="claim_id_reused",
                )
        elif (sc.actor, sc.id) in seen:
            errors[pos] = ConflictError(
                f"claim id {sc.id} of {sc.actor!r} appears twice in the batch", code="claim_id_reused"
            )
        else:
            seen.add((sc.actor, sc.id))
            fresh.append((pos, sc))
    return fresh


def earlier_entry(pending: Pending, sc: SignedClaim) -> tuple[bool, Appended] | None:
    """The entry recorded, or staged by this group, for the claim's (actor, id), and whether it was made
    for the same claim."""
    row = pending.recorded.get((sc.actor, sc.id))
    if row is not None:
        same = canonical(json.loads(row.body)["claim"]) == sc.claim_bytes
        return same, Appended(row.body, row.hash, row.idx, row.seq, created=False)
    staged = pending.claimed.get((sc.actor, sc.id))
    if staged is not None:
        return staged[0] == sc.claim_bytes, replace(staged[1], created=False)
    return None


def stage_claims(
    pending: Pending,
    fresh: Fresh,
    validator: Validator,
    results: list[Appended | None],
    errors: dict[int, PacktraceError],
) -> list[tuple[SignedClaim, Appended]]:
    """(4) for each claim no check refused yet, folding the request pack by pack; stage those that pass."""
    staged: list[tuple[SignedClaim, Appended]] = []
    for pos, sc in fresh:
        if pos in errors:
            continue
        try:
            state = judge(pending, sc, validator)
            correction = check_correction(pending, sc) if sc.type == "corrected" else None
            links = fold_links(pending, sc) if may_link(sc.type, sc.claim["data"]) else None
        except PacktraceError as exc:
            errors[pos] = exc
            continue
        appended = stage_entry(pending, sc, state)
        if correction is not None:
            pending.corrections.append(correction._replace(idx=appended.index))
        if links is not None and (links.opened or links.closed):
            pending.links.append((appended.index, links))
        results[pos] = appended
        staged.append((sc, appended))
    return staged


def judge(pending: Pending, sc: SignedClaim, validator: Validator) -> PackState:
    """The pack's state after the claim, if its key, its `prev` and the domain allow it."""
    check_key(pending.keys.get(sc.key_id), sc.key_id, pending.now)
    check_prev(sc, pending.heads.get(sc.pack, (None, -1))[0])
    return validator.apply(pending.states.get(sc.pack), sc.event, pending)


def check_key(key: SigningKey | None, key_id: str, now: datetime) -> None:
    """The key may sign an entry recorded `now` (ledger.format.keys, the one rule)."""
    if key is None:
        raise InvalidClaim(f"unknown signing key {key_id!r}", code="unknown_key")
    validity = key.validity
    # A revocation read under the lock is a registry entry committed before this one: the key signs
    # nothing after it, whatever this process's clock says.
    refusal = "key_revoked" if validity.revoked_at is not None else validity.refusal(now)
    if refusal == "key_revoked":
        raise AuthorisationError(f"key {key_id!r} is revoked", code="key_revoked")
    if refusal == "key_not_yet_valid":  # registered by a process whose clock runs ahead of this one's
        raise AuthorisationError(
            f"key {key_id!r} is valid from {format_recorded_at(validity.valid_from)}, after this "
            f"entry's recording time {format_recorded_at(now)}",
            code="key_not_yet_valid",
        )


def check_prev(sc: SignedClaim, head: str | None) -> None:
    if sc.prev is not None and sc.prev != head:
        raise ConflictError(f"stale prev for pack {sc.pack}: the current head is {head or 'none'}", code="stale_prev")


def check_correction(pending: Pending, sc: SignedClaim) -> CorrectionRow | None:
    """The ledger's half of the `corrected` rule: the target is an entry of this pack (staged or stored),
    the actor wrote it (or is a regulator), and the correction changes only what events.corrections lets
    it change, into values the target's rules accept. What it changes, as the projection's row (its index
    is the entry's, given when staged); None if it changes nothing."""
    data = sc.claim["data"]
    target_hash = str(data["target"])
    target = appending.staged_target(pending.rows, sc.pack, target_hash)
    if target is None:
        target = appending.target_entry(pending.conn, sc.pack, target_hash)
    if target is None:
        raise InvalidPayload(f"'corrected' names entry {target_hash}, which is not an entry of pack {sc.pack}")
    actor = pending.org(sc.actor)
    assert actor is not None  # apply() refused unknown actors
    check_correction_author(actor, target.actor, target_hash)
    so_far = pending.corrected_data(target.idx)
    if so_far is None:
        so_far = json.loads(target.body)["claim"]["data"]
    changed = corrected(sc.pack, target.type, so_far, data.get("fields", {}), admitting=True)
    if changed is None:
        return None
    return CorrectionRow(-1, target.idx, sc.pack, target.type, changed.data, changed.members)


def fold_links(pending: Pending, sc: SignedClaim) -> Folded:
    """The links (events.components) the claim's entry opens and closes, against those open now."""
    data = sc.claim["data"]
    links = pending.open_links(children_named(sc.pack, sc.type, data))
    return fold(sc.pack, sc.type, data, pending.next_index, sc.claim["at"], links)


def stage_entry(pending: Pending, sc: SignedClaim, state: PackState) -> Appended:
    """The claim's entry: its canonical bytes and hash, next in the log and in its pack's chain."""
    head, last_seq = pending.heads.get(sc.pack, (None, -1))
    index, seq, recorded_at = pending.next_index, last_seq + 1, pending.recorded_at
    data = entry_bytes(
        index=index, pack=sc.pack, seq=seq, prev=head, recorded_at=recorded_at, claim_bytes=sc.claim_bytes, sig=sc.sig
    )
    digest = entry_hash(data)
    pending.rows.append((index, sc.pack, seq, digest, sc.actor, sc.id, sc.type, sc.claim["at"], recorded_at, data))
    pending.states[sc.pack] = state
    pending.heads[sc.pack] = (digest, seq)
    return Appended(data, digest, index, seq, created=True)
