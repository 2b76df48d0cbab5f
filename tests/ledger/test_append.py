"""The append path: entries, chains, idempotency, atomic batches, refusals. Runs on both backends."""

from __future__ import annotations

import base64
import hashlib
import json
import threading

import pytest
import rfc8785
from sqlalchemy.exc import OperationalError

from events.errors import AuthorisationError, ConflictError, InvalidClaim, InvalidPayload
from ledger.append.outcome import BatchRejected
from ledger.format.claims import sign_claim
from ledger.log import Ledger
from ledger.store import appending
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from tests import specverify
from tests.support import PRODUCED, Actor, code


def test_first_entry_has_the_documented_shape(ledger: Ledger, maker: Actor, base: int) -> None:
    claim, sig = maker.claim(code(1), "produced", PRODUCED)
    result = ledger.append_one(claim, sig, as_org="catl")

    assert (result.index, result.seq, result.created) == (base, 0, True)
    assert set(result.entry) == {"v", "index", "pack", "seq", "prev", "recorded_at", "claim", "sig"}
    assert result.entry["prev"] is None
    assert result.entry["claim"] == claim
    assert result.entry["recorded_at"].endswith("Z") and len(result.entry["recorded_at"]) == 27
    assert result.hash == hashlib.sha256(rfc8785.dumps(result.entry)).hexdigest()


def test_entries_chain_per_pack_and_index_is_global(ledger: Ledger, actors: dict[str, Actor], base: int) -> None:
    maker, automaker = actors["catl"], actors["byd-auto"]
    a, b = code(1), code(2)
    ra = ledger.append_one(*maker.claim(a, "produced", PRODUCED))
    rb = ledger.append_one(*maker.claim(b, "produced", PRODUCED))
    ra2 = ledger.append_one(*maker.claim(a, "shipped", {"to": "byd-auto"}))
    ra3 = ledger.append_one(*automaker.claim(a, "received", {"from": "catl"}))

    assert [r.index for r in (ra, rb, ra2, ra3)] == [base, base + 1, base + 2, base + 3]
    assert [r.seq for r in (ra, ra2, ra3)] == [0, 1, 2]
    assert ra2.entry["prev"] == ra.hash and ra3.entry["prev"] == ra2.hash
    assert rb.entry["prev"] is None
    state = ledger.pack_state(a)
    assert state is not None and state.custodian == "byd-auto"


def test_same_claim_twice_yields_one_entry(ledger: Ledger, maker: Actor, base: int) -> None:
    claim, sig = maker.claim(code(1), "produced", PRODUCED)
    first = ledger.append_one(claim, sig)
    again = ledger.append_one(json.loads(json.dumps(claim)), sig)

    assert again.created is False
    assert (again.index, again.hash, again.entry) == (first.index, first.hash, first.entry)
    assert ledger.size() == base + 1


def test_same_id_with_other_content_is_refused(ledger: Ledger, maker: Actor, base: int) -> None:
    claim, sig = maker.claim(code(1), "produced", PRODUCED)
    ledger.append_one(claim, sig)
    other = dict(claim, data=dict(PRODUCED, mass_kg=390.0))
    with pytest.raises(ConflictError, match=f"claim id {claim['id']} of 'catl' was already used for a different claim"):
        ledger.append_one(other, sign_claim(other, maker.private))
    assert ledger.size() == base + 1


def test_stale_prev_is_a_conflict_naming_the_head(ledger: Ledger, maker: Actor) -> None:
    first = ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    second = ledger.append_one(*maker.claim(code(1), "shipped", {"to": "byd-auto"}, prev=first.hash))
    with pytest.raises(ConflictError, match=f"stale prev for pack {code(1)}: the current head is {second.hash}") as exc:
        ledger.append_one(
            *maker.claim(code(1), "incident", {"kind": "other", "severity": "low", "description": "x"}, prev=first.hash)
        )
    assert exc.value.code == "stale_prev"


def test_batch_is_atomic_and_lists_every_failing_item(ledger: Ledger, actors: dict[str, Actor], base: int) -> None:
    maker = actors["catl"]
    good = [maker.claim(code(i), "produced", PRODUCED) for i in range(5)]
    forged_claim, _ = maker.claim(code(10), "produced", PRODUCED)
    forged = (forged_claim, base64.b64encode(b"\x00" * 64).decode())
    wrong_actor = actors["byd-auto"].claim(code(11), "produced", PRODUCED)
    items = [good[0], forged, good[1], wrong_actor, good[2]]

    with pytest.raises(BatchRejected) as exc:
        ledger.append(items, as_org="catl")
    positions = {pos: err.code for pos, err in exc.value.errors}
    assert positions == {1: "invalid_signature", 3: "actor_mismatch"}
    assert ledger.size() == base

    results = ledger.append(good)
    assert [r.index for r in results] == [base + n for n in range(5)]


def test_batch_rejects_domain_failures_by_position(ledger: Ledger, maker: Actor, base: int) -> None:
    items = [
        maker.claim(code(1), "produced", PRODUCED),
        maker.claim(code(2), "received", {"from": "byd-auto"}),  # unknown pack
        maker.claim(code(1), "shipped", {"to": "byd-auto"}),
    ]
    with pytest.raises(BatchRejected) as exc:
        ledger.append(items)
    assert [pos for pos, _ in exc.value.errors] == [1]
    assert ledger.size() == base


def test_forged_signature_is_refused(ledger: Ledger, maker: Actor) -> None:
    claim, sig = maker.claim(code(1), "produced", PRODUCED)
    tampered = dict(claim, data=dict(PRODUCED, mass_kg=1.0))
    with pytest.raises(InvalidClaim, match=f"signature of claim {claim['id']} does not verify with key 'catl/1'"):
        ledger.append_one(tampered, sig)


def test_actor_must_be_the_authenticated_org(ledger: Ledger, maker: Actor) -> None:
    with pytest.raises(AuthorisationError, match="claim actor 'catl' is not the authenticated organisation 'byd-auto'"):
        ledger.append_one(*maker.claim(code(1), "produced", PRODUCED), as_org="byd-auto")


def test_key_of_another_org_is_refused(ledger: Ledger, actors: dict[str, Actor]) -> None:
    maker, other = actors["catl"], actors["byd-auto"]
    claim, _ = maker.claim(code(1), "produced", PRODUCED)
    claim["key"] = other.key_id
    with pytest.raises(
        AuthorisationError, match="key 'byd-auto/1' belongs to 'byd-auto', not to the claim's actor 'catl'"
    ):
        ledger.append_one(claim, sign_claim(claim, other.private))


def test_unknown_key_is_refused(ledger: Ledger, maker: Actor) -> None:
    claim, _ = maker.claim(code(1), "produced", PRODUCED)
    claim["key"] = "catl/404"
    with pytest.raises(InvalidClaim, match="unknown signing key 'catl/404'"):
        ledger.append_one(claim, sign_claim(claim, maker.private))


def test_revoked_key_is_refused(ledger: Ledger, maker: Actor) -> None:
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    orgkeys.revoke_key(ledger, ADMIN, "catl", "catl/1")
    with pytest.raises(AuthorisationError, match="key 'catl/1' is revoked"):
        ledger.append_one(*maker.claim(code(2), "produced", PRODUCED))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.pop("id"), "claim is missing fields: id"),
        (lambda c: c.update(extra=1), "claim has unknown fields: extra"),
        (lambda c: c.update(v=2), "claim.v must be 1, found 2"),
        (lambda c: c.update(id="not-a-uuid"), "claim.id must be a UUID in canonical form"),
        (lambda c: c.update(at="2026-03-02T01:00:00.5Z"), "claim.at must be RFC 3339 UTC with whole seconds and Z"),
        (lambda c: c.update(at="2026-02-30T01:00:00Z"), "claim.at is not a real time"),
        (lambda c: c.update(prev="ABC"), "claim.prev must be null or a lowercase hex SHA-256 entry hash"),
        (lambda c: c.update(data=[]), "claim.data must be a JSON object"),
        (lambda c: c.update(pack=""), "claim.pack must be a non-empty string"),
    ],
)
def test_malformed_claims_are_refused(ledger: Ledger, maker: Actor, mutate: object, message: str) -> None:
    claim, _ = maker.claim(code(1), "produced", PRODUCED)
    mutate(claim)  # type: ignore[operator]
    with pytest.raises(InvalidClaim, match=message):
        ledger.append_one(claim, sign_claim(claim, maker.private) if "id" in claim else "AAAA")


def test_checkpoints_are_signed_after_every_append_and_verify_from_the_spec(
    ledger: Ledger, maker: Actor, base: int
) -> None:
    for i in range(3):
        ledger.append_one(*maker.claim(code(i), "produced", PRODUCED))
    ledger.append([maker.claim(code(10 + i), "produced", PRODUCED) for i in range(4)])
    vkey = ledger.signer.verifier_key
    leaves = [body for _, _, body in ledger.entries(0, base + 7)]
    for size in (base, base + 1, base + 2, base + 3, base + 7):  # the registry's transaction signed one too
        stored = ledger.checkpoint_at(size)
        assert stored is not None
        text = specverify.verify_note(stored.note, vkey)
        origin, tree_size, root = specverify.parse_checkpoint(text)[:3]
        assert (origin, tree_size) == ("packtrace.test/log", size)
        assert root == specverify.mth(leaves[:size])
    assert ledger.checkpoint_at(base + 4) is None  # one checkpoint per committed append, not per entry
    assert ledger.checkpoint_at(base - 1) is None  # the registry's entries were one transaction too


def test_inclusion_and_consistency_proofs_from_stored_nodes(ledger: Ledger, maker: Actor) -> None:
    sizes = []
    for batch in range(6):
        ledger.append([maker.claim(code(100 * batch + i), "produced", PRODUCED) for i in range(batch + 1)])
        sizes.append(ledger.size())
    bodies = [body for _, _, body in ledger.entries(0, sizes[-1])]
    for size in sizes:
        root = specverify.mth(bodies[:size])
        for index in range(size):
            hashes = [h.hex() for h in ledger.inclusion_proof(index, size)]
            specverify.verify_inclusion(bodies[index], index, size, hashes, root)
    for old in sizes:
        for new in sizes:
            if old <= new:
                hashes = [h.hex() for h in ledger.consistency_proof(old, new)]
                specverify.verify_consistency(
                    old, new, hashes, specverify.mth(bodies[:old]), specverify.mth(bodies[:new])
                )


def test_corrections_name_an_entry_of_the_pack_written_by_the_actor(ledger: Ledger, actors: dict[str, Actor]) -> None:
    maker, regulator, automaker = actors["catl"], actors["fj-miit"], actors["byd-auto"]
    produced = ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    other = ledger.append_one(*maker.claim(code(2), "produced", PRODUCED))
    ledger.append_one(*maker.claim(code(1), "shipped", {"to": "byd-auto"}))
    ledger.append_one(*automaker.claim(code(1), "received", {"from": "catl"}))
    fix = {"target": produced.hash, "reason": "mass was weighed without the casing", "fields": {"mass_kg": 395}}

    with pytest.raises(AuthorisationError, match=f"may not correct entry {produced.hash}: it was posted by 'catl'"):
        ledger.append_one(*automaker.claim(code(1), "corrected", fix))
    missing = dict(fix, target="ab" * 32)
    with pytest.raises(
        InvalidPayload, match=f"'corrected' names entry {'ab' * 32}, which is not an entry of pack {code(1)}"
    ):
        ledger.append_one(*maker.claim(code(1), "corrected", missing))
    foreign = dict(fix, target=other.hash)
    with pytest.raises(
        InvalidPayload, match=f"'corrected' names entry {other.hash}, which is not an entry of pack {code(1)}"
    ):
        ledger.append_one(*maker.claim(code(1), "corrected", foreign))

    assert ledger.append_one(*maker.claim(code(1), "corrected", fix)).seq == 3
    assert ledger.append_one(*regulator.claim(code(1), "corrected", fix)).seq == 4
    state = ledger.pack_state(code(1))
    assert state is not None and "corrected" in state.flags


def test_forged_signatures_in_a_large_batch_are_named_by_position(ledger: Ledger, maker: Actor, base: int) -> None:
    items = [maker.claim(code(i), "produced", PRODUCED) for i in range(700)]
    for pos in (3, 300, 699):
        items[pos] = (items[pos][0], base64.b64encode(bytes(64)).decode())
    with pytest.raises(BatchRejected) as exc:
        ledger.append(items)
    assert [(pos, err.code) for pos, err in exc.value.errors] == [
        (3, "invalid_signature"),
        (300, "invalid_signature"),
        (699, "invalid_signature"),
    ]
    assert ledger.size() == base
    assert len(ledger.append(items[4:300])) == 296


def test_a_batch_lists_signature_and_domain_failures_together(ledger: Ledger, maker: Actor, base: int) -> None:
    forged_claim, _ = maker.claim(code(2), "produced", PRODUCED)
    items = [
        maker.claim(code(1), "produced", PRODUCED),
        (forged_claim, base64.b64encode(bytes(64)).decode()),
        maker.claim(code(1), "received", {"from": "catl"}),  # the maker is not the named receiver
    ]
    with pytest.raises(BatchRejected) as exc:
        ledger.append(items)
    assert [(pos, err.code) for pos, err in exc.value.errors] == [(1, "invalid_signature"), (2, "forbidden")]
    assert ledger.size() == base


def test_a_forged_signature_found_after_the_group_was_written_rolls_back_only_its_request(
    ledger: Ledger, actors: dict[str, Actor], base: int
) -> None:
    """Signature checks finish after the group's rows are written; a request with a forged one is taken
    out and the group written again, so requests that relied on its packs are judged without them."""
    maker = actors["catl"]
    forged = [maker.claim(code(i), "produced", PRODUCED) for i in range(200)]
    forged[150] = (forged[150][0], base64.b64encode(bytes(64)).decode())
    relying = [maker.claim(code(7), "shipped", {"to": "byd-auto"})]
    independent = [maker.claim(code(500 + i), "produced", PRODUCED) for i in range(100)]
    outcomes: dict[str, object] = {}

    def submit(name: str, items: list[tuple[dict[str, object], str]]) -> None:
        try:
            outcomes[name] = ledger.append(items)
        except BatchRejected as exc:
            outcomes[name] = [(pos, err.code) for pos, err in exc.errors]

    ledger.commits.writing = True  # hold the group commit until all three requests are queued: one group
    threads = [
        threading.Thread(target=submit, args=(name, items))
        for name, items in (("forged", forged), ("relying", relying), ("independent", independent))
    ]
    for thread in threads:
        thread.start()
        while len(ledger.commits.queue) < threads.index(thread) + 1:  # keep the order: forged, relying, independent
            thread.join(0.01)
    ledger.commits.drain()
    for thread in threads:
        thread.join()

    assert outcomes["forged"] == [(150, "invalid_signature")]
    assert outcomes["relying"] == [(0, "not_found")]
    independent_results = outcomes["independent"]
    assert isinstance(independent_results, list)
    assert [r.index for r in independent_results] == list(range(base, base + 100))
    assert ledger.size() == base + 100
    assert ledger.pack_state(code(7)) is None


def test_the_signature_worker_is_given_back_when_a_large_batch_fails_outside_the_rules(
    ledger: Ledger, maker: Actor, base: int
) -> None:
    """A database error in step (1) or in the transaction leaves the worker free for the next batch."""
    ledger.intake.signatures.processes = 1
    original_write, original_keys = ledger.appender.write_group, appending.signing_keys
    items = [maker.claim(code(i), "produced", PRODUCED) for i in range(300)]

    def failing_write(conn, group):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT …", {}, RuntimeError("disk I/O error"))

    ledger.appender.write_group = failing_write  # type: ignore[method-assign]
    with pytest.raises(OperationalError, match="disk I/O error"):
        ledger.append(items)
    ledger.appender.write_group = original_write  # type: ignore[method-assign]
    assert len(ledger.intake.signatures._idle) == 1  # given back, not left holding the failed batch

    def failing_keys(conn, key_ids):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT …", {}, RuntimeError("database is locked"))

    later = [maker.claim(code(1000 + i), "produced", PRODUCED) for i in range(300)]
    later[200][0]["key"] = "catl/9"  # not cached: looked up after 200 checks went to the worker
    appending.signing_keys = failing_keys  # type: ignore[assignment]
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            ledger.append(later)
    finally:
        appending.signing_keys = original_keys
    assert len(ledger.intake.signatures._idle) == 1

    forged = list(items)
    forged[5] = (forged[5][0], base64.b64encode(bytes(64)).decode())
    with pytest.raises(BatchRejected) as exc:
        ledger.append(forged)
    assert [(pos, err.code) for pos, err in exc.value.errors] == [(5, "invalid_signature")]
    assert [r.index for r in ledger.append(items)] == list(range(base, base + 300))
    assert ledger.intake.signatures._started == 1  # the same worker all along


def test_a_large_batch_of_retries_gives_the_worker_back_and_its_signatures_still_count(
    ledger: Ledger, maker: Actor, base: int
) -> None:
    ledger.intake.signatures.processes = 1
    items = [maker.claim(code(i), "produced", PRODUCED) for i in range(300)]
    first = ledger.append(items)
    again = ledger.append(items)  # a client retrying after a timeout: nothing new is written
    assert [(r.index, r.created) for r in again] == [(r.index, False) for r in first]
    assert (len(ledger.intake.signatures._idle), ledger.intake.signatures._started) == (1, 1)
    forged = list(items)
    forged[299] = (forged[299][0], base64.b64encode(bytes(64)).decode())
    with pytest.raises(BatchRejected) as exc:
        ledger.append(forged)
    assert [(pos, err.code) for pos, err in exc.value.errors] == [(299, "invalid_signature")]
    claim, _ = items[0]
    with pytest.raises(InvalidClaim) as one:
        ledger.append_one(claim, base64.b64encode(bytes(64)).decode())
    assert one.value.code == "invalid_signature"
    assert ledger.size() == base + 300
