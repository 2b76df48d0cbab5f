"""Head commitments (docs/ledger-format.md §6.4): the log commits to every chain's last entry, so that a
bundle proves where its chain ended (issue 14, acceptance 6), and `packtrace verify` checks every
commitment against the chains it replays."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest

from events.errors import ConflictError, InputError, VerificationError
from events.registry import new_registry_claim
from ledger.format import heads
from ledger.format.bundle import verify_bundle
from ledger.format.canonical import canonical, entry_hash
from ledger.format.redaction import Redactor
from ledger.log import Ledger
from ledger.store import heads as stored
from ledger.usecases import bundles
from ledger.usecases import heads as commitments
from ledger.usecases.access import Caller
from ledger.usecases.bundles import make_bundle, make_redacted_bundle
from ledger.usecases.verify import verify_database
from ledger.usecases.views import discloses
from tests.support import PRODUCED, Actor, Clock, code

INCIDENT = {"kind": "other", "severity": "low", "description": "dropped at the dock"}


@pytest.fixture
def five(ledger: Ledger, actors: dict[str, Actor]) -> None:
    """code(1): produced, shipped, received, two incidents (seq 0-4); code(2) produced between them."""
    maker, automaker = actors["catl"], actors["byd-auto"]
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    ledger.append_one(*maker.claim(code(2), "produced", PRODUCED))
    ledger.append_one(*maker.claim(code(1), "shipped", {"to": "byd-auto"}))
    ledger.append_one(*automaker.claim(code(1), "received", {"from": "catl"}))
    ledger.append_one(*automaker.claim(code(1), "incident", INCIDENT))
    ledger.append_one(*automaker.claim(code(1), "incident", INCIDENT))


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH over leaf bytes, written from the RFC (not ledger.format.merkle)."""
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _reprove(ledger: Ledger, bundle: dict[str, Any]) -> None:
    """What a server holding the log sends for a shorter chain: a genuine proof of its new last entry."""
    last, size = bundle["entries"][-1]["index"], bundle["proof"]["tree_size"]
    hashes = [h.hex() for h in ledger.inclusion_proof(last, size)]
    bundle["proof"] = {"index": last, "tree_size": size, "hashes": hashes}
    bundle.pop("keys")


# -- the commitment -------------------------------------------------------------------------------------


def test_a_commitment_is_the_root_over_every_chains_head_sorted_by_subject(ledger: Ledger, five: None) -> None:
    size = ledger.size()
    made = commitments.commit_heads(ledger)
    assert made is not None and (made.index, made.size) == (size, size)
    chains: dict[str, dict[str, Any]] = {}
    for entry in ledger.entries(0, size):
        obj = json.loads(entry.body)
        chains[obj.get("pack", obj.get("subject"))] = {
            "hash": entry_hash(entry.body), "index": obj["index"], "seq": obj["seq"]
        }  # fmt: skip
    leaves = [
        json.dumps({**chains[s], "subject": s}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        for s in sorted(chains, key=str.encode)
    ]
    assert (made.count, made.root) == (len(leaves), _mth(leaves).hex())
    entry = json.loads(ledger.entries(size, size + 1)[0].body)
    assert entry["subject"] == "heads" and entry["claim"]["by"] == "log" and "sig" not in entry
    assert entry["claim"]["data"] == {"size": size, "count": made.count, "root": made.root}


def test_nothing_is_committed_when_only_commitments_followed_the_latest(ledger: Ledger, five: None) -> None:
    first = commitments.commit_heads(ledger)
    assert first is not None
    assert commitments.commit_heads(ledger) is None
    assert commitments.ensure_covered(ledger, first.index - 1) == first  # covers the pack's head: no new one


def test_trees_are_kept_for_the_latest_commitments_and_an_hour(
    ledger: Ledger, actors: dict[str, Actor], five: None
) -> None:
    """Trees are dropped only when older than the latest KEPT commitments and recorded over RETAINED ago
    (a bundle streamed meanwhile still proves its heads)."""
    clock = ledger.clock
    assert isinstance(clock, Clock)
    made = []
    for _ in range(stored.KEPT + 2):
        ledger.append_one(*actors["byd-auto"].claim(code(1), "incident", INCIDENT))
        found = commitments.commit_heads(ledger)
        assert found is not None
        made.append(found)
    with ledger.engine.connect() as conn:  # all within the hour: all kept
        assert all(stored.head_proof(conn, m.index, code(1), m.count) is not None for m in made)
    clock.now += stored.RETAINED  # an hour later, one more commitment
    ledger.append_one(*actors["byd-auto"].claim(code(1), "incident", INCIDENT))
    newest = commitments.commit_heads(ledger)
    assert newest is not None
    made.append(newest)
    with ledger.engine.connect() as conn:
        assert [stored.head_proof(conn, m.index, code(1), m.count) is None for m in made] == [True] * 3 + [False] * 2
        for kept in made[3:]:
            proof = stored.head_proof(conn, kept.index, code(1), kept.count)
            assert proof is not None
            head, position, path = proof
            commitment = heads.Commitment(kept.index, kept.size, kept.count, bytes.fromhex(kept.root), "")
            heads.check_leaf(head, position, [h.hex() for h in path], commitment)


def test_the_registry_rules_refuse_a_commitment_beyond_itself_or_behind_the_last(ledger: Ledger, five: None) -> None:
    size = ledger.size()

    def claim(at_size: int) -> dict[str, Any]:
        return new_registry_claim(subject="heads", type="heads_committed", by="log", at=ledger.clock(),
                                  data={"size": at_size, "count": 0, "root": "00" * 32})  # fmt: skip

    with pytest.raises(InputError) as beyond:
        ledger.append_registry([(claim(size + 5), None)])
    assert beyond.value.message == (
        f"a head commitment at entry {size} cannot cover the log at size {size + 5}, beyond itself"
    )
    assert commitments.commit_heads(ledger) is not None
    with pytest.raises(ConflictError) as behind:
        ledger.append_registry([(claim(size - 1), None)])
    assert (behind.value.code, behind.value.message) == (
        "heads_behind",
        f"a head commitment at size {size - 1} follows one at size {size}: sizes never go back",
    )
    with pytest.raises(InputError, match=r"^'root' must be 64 lower-case hex digits"):
        ledger.append_registry([({**claim(size), "data": {"size": size, "count": 0, "root": "AB" * 32}}, None)])


def test_verify_finds_a_forged_head_commitment(ledger: Ledger, five: None) -> None:
    """The operator commits to a tree without code(2)'s head: verify names the commitment and both roots."""
    size = ledger.size()
    tree = heads.build(h for h in _heads(ledger) if h.subject != code(2))
    claim = new_registry_claim(subject="heads", type="heads_committed", by="log", at=ledger.clock(),
                               data={"size": size, "count": tree.count, "root": tree.root.hex()})  # fmt: skip
    ledger.append_registry([(claim, None)])
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    true_root = heads.build(_heads(ledger)).root.hex()
    assert [(p.index, str(p)) for p in report.problems] == [
        (
            size,
            f"step 5: head commitment at entry {size} (size {size}): root {tree.root.hex()} over "
            f"{tree.count} chains, but the log's chains at size {size} give {true_root} over {tree.count + 1}",
        )
    ]


def test_verify_accepts_honest_commitments_made_while_entries_were_appended(
    ledger: Ledger, actors: dict[str, Actor], five: None
) -> None:
    """A commitment covers the size its snapshot read; entries appended before it lands are not in it."""
    size = ledger.size()
    with ledger.engine.connect() as conn:
        tree = heads.build(stored.chain_heads(conn))
    ledger.append_one(*actors["byd-auto"].claim(code(1), "incident", INCIDENT))  # lands between read and commit
    claim = new_registry_claim(subject="heads", type="heads_committed", by="log", at=ledger.clock(),
                               data={"size": size, "count": tree.count, "root": tree.root.hex()})  # fmt: skip
    ledger.append_registry([(claim, None)])
    assert commitments.commit_heads(ledger) is not None
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []


def _heads(ledger: Ledger) -> list[heads.Head]:
    with ledger.engine.connect() as conn:
        return stored.chain_heads(conn)


# -- bundles (acceptance 6) -----------------------------------------------------------------------------


def test_the_untouched_bundle_proves_its_chain_complete(ledger: Ledger, five: None) -> None:
    bundle = make_bundle(ledger, code(1))
    summary = verify_bundle(bundle, ledger.signer.verifier_key)
    commitment = bundle["heads"]["entry"]["index"]
    assert (summary.entries, summary.complete_through, summary.commitment, summary.committed_size) == (
        5, 4, commitment, commitment
    )  # fmt: skip
    assert all(chain.committed_seq == chain.last_seq for chain in summary.registry)


@pytest.mark.parametrize("cut", [1, 2, 4])
def test_a_bundle_with_its_last_entries_removed_is_refused(ledger: Ledger, five: None, cut: int) -> None:
    bundle = make_bundle(ledger, code(1))
    head = bundle["entries"][-1]
    del bundle["entries"][-cut:]
    _reprove(ledger, bundle)
    commitment = bundle["heads"]["entry"]["index"]
    with pytest.raises(VerificationError) as caught:
        verify_bundle(bundle, ledger.signer.verifier_key)
    assert caught.value.message == (
        f"pack {code(1)}: entries were removed from its end: the log's head commitment at entry {commitment} (log "
        f"size {commitment}) says the chain had 5 entries (the last, seq 4, at entry {head['index']}), but the "
        f"bundle lists {5 - cut}"
    )


@pytest.mark.parametrize("cut", [1, 2, 4])
def test_a_redacted_bundle_with_its_last_items_removed_is_refused(
    ledger: Ledger, actors: dict[str, Actor], five: None, cut: int
) -> None:
    automaker = actors["byd-auto"]
    others = [name for org in actors.values() if org.id not in {"byd-auto", "catl"} for name in (org.id, org.org.name)]
    disclose = discloses(Caller(org=automaker.org), "catl", Redactor(others))
    bundle = make_redacted_bundle(ledger, code(1), disclose, tier="legitimate_interest")
    assert verify_bundle(bundle, ledger.signer.verifier_key).complete_through == 4
    del bundle["items"][-cut:]
    last = next(item for item in reversed(bundle["items"]) if "entry" in item)
    index = last["entry"]["index"]
    last["proof"] = {
        "index": index,
        "tree_size": bundle["heads"]["proof"]["tree_size"],
        "hashes": [h.hex() for h in ledger.inclusion_proof(index, bundle["heads"]["proof"]["tree_size"])],
    }
    bundle.pop("keys")
    with pytest.raises(VerificationError, match=rf"^pack {code(1)}: entries were removed from its end: .* but the "
                                                 rf"bundle lists {5 - cut}$"):  # fmt: skip
        verify_bundle(bundle, ledger.signer.verifier_key)


def test_a_bundle_without_its_head_commitment_or_its_heads_proof_is_refused(ledger: Ledger, five: None) -> None:
    bundle = make_bundle(ledger, code(1))
    for broken, message in (
        ({k: v for k, v in bundle.items() if k != "heads"},
         "the bundle carries no head commitment (member 'heads'): it cannot prove that it is complete"),
        ({**bundle, "heads": {k: v for k, v in bundle["heads"].items() if k != "head"}},
         f"pack {code(1)}: no proof of its head ({{head, position, path}}): completeness is unproven"),
    ):  # fmt: skip
        with pytest.raises(VerificationError) as caught:
            verify_bundle(broken, ledger.signer.verifier_key)
        assert caught.value.message == message


def test_another_packs_head_or_a_changed_path_is_refused(ledger: Ledger, five: None) -> None:
    bundle = make_bundle(ledger, code(1))
    other = make_bundle(ledger, code(2))
    swapped = copy.deepcopy(bundle)
    swapped["heads"]["head"] = other["heads"]["head"]
    with pytest.raises(VerificationError) as caught:
        verify_bundle(swapped, ledger.signer.verifier_key)
    assert caught.value.message == f"pack {code(1)}: the head proven is {code(2)!r}'s, not {code(1)!r}'s"
    bent = copy.deepcopy(bundle)
    bent["heads"]["head"]["path"][0] = "00" * 32
    with pytest.raises(
        VerificationError,
        match=rf"^the head of {code(1)} \(seq 4, entry \d+\) is not in the log's "
        r"head commitment at entry \d+: inclusion proof does not verify",
    ):
        verify_bundle(bent, ledger.signer.verifier_key)


def test_a_forged_commitment_in_a_bundle_fails_its_inclusion_proof(ledger: Ledger, five: None) -> None:
    """A commitment the log never recorded (its root made to name a shorter chain) is not in the checkpoint."""
    bundle = make_bundle(ledger, code(1))
    forged = copy.deepcopy(bundle)
    forged["heads"]["entry"]["claim"]["data"]["root"] = "ab" * 32
    with pytest.raises(VerificationError, match=r"^head commitment: inclusion proof does not verify"):
        verify_bundle(forged, ledger.signer.verifier_key)
    assert canonical(forged["heads"]["entry"]) != canonical(bundle["heads"]["entry"])


def test_a_bundle_of_the_prefix_only_format_is_refused(ledger: Ledger, five: None) -> None:
    bundle = {**make_bundle(ledger, code(1)), "format": "packtrace-bundle/2"}
    with pytest.raises(VerificationError) as caught:
        verify_bundle(bundle, ledger.signer.verifier_key)
    assert caught.value.message == (
        "packtrace-bundle/2 cannot prove that it is complete (entries cut from its end go unnoticed): fetch the bundle "
        "again (packtrace-bundle/3 or packtrace-redacted-bundle/3 prove the pack's head by the log's head commitment)"
    )


# -- found by the review of the change (each test fails without its fix) ---------------------------------


def _proof_at(ledger: Ledger, index: int, size: int) -> dict[str, Any]:
    return {"index": index, "tree_size": size, "hashes": [h.hex() for h in ledger.inclusion_proof(index, size)]}


def test_an_older_commitment_cannot_hide_entries_under_a_newer_checkpoint(
    ledger: Ledger, actors: dict[str, Actor], five: None
) -> None:
    """An honest older commitment (before a serious incident), the newest honest checkpoint and genuine
    proofs: the bundle is refused, since a commitment proves completeness only under its own checkpoint."""
    old = make_bundle(ledger, code(1))
    ledger.append_one(*actors["byd-auto"].claim(code(1), "incident", {**INCIDENT, "severity": "high"}))
    new = make_bundle(ledger, code(1))
    size = new["proof"]["tree_size"]
    forged = copy.deepcopy(old)
    forged["checkpoint"] = new["checkpoint"]
    forged["proof"] = _proof_at(ledger, forged["entries"][-1]["index"], size)
    forged["heads"]["proof"] = _proof_at(ledger, forged["heads"]["entry"]["index"], size)
    for chain in forged["registry"]:
        chain["proof"] = _proof_at(ledger, chain["entries"][-1]["index"], size)
    commitment = old["heads"]["entry"]["index"]
    with pytest.raises(VerificationError) as caught:
        verify_bundle(forged, ledger.signer.verifier_key)
    assert caught.value.message == (
        f"the head commitment at entry {commitment} is not the last entry of the checkpointed log (size {size}): a "
        f"bundle is proven complete only against its commitment's own checkpoint (size {commitment + 1})"
    )
    assert verify_bundle(new, ledger.signer.verifier_key).tree_size == new["heads"]["entry"]["index"] + 1


def test_an_entry_appended_while_the_bundle_is_made_does_not_make_it_look_cut(
    ledger: Ledger, actors: dict[str, Actor], five: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry lands between reading the pack's head and committing: the bundle lists the chain up to
    the head the commitment names, so it verifies complete (before: refused as cut)."""
    real = bundles.ensure_covered

    def racing(lg: Ledger, index: int) -> commitments.Committed:
        lg.append_one(*actors["byd-auto"].claim(code(1), "incident", INCIDENT))
        return real(lg, index)

    monkeypatch.setattr(bundles, "ensure_covered", racing)
    bundle = make_bundle(ledger, code(1))
    summary = verify_bundle(bundle, ledger.signer.verifier_key)
    assert (summary.entries, summary.complete_through) == (6, 5)


def test_a_bundle_streamed_while_commitments_land_keeps_its_proofs(
    ledger: Ledger, actors: dict[str, Actor], five: None
) -> None:
    """Two commitments land while a bundle's entries are streamed (KEPT = 2): its commitment's tree is kept
    for RETAINED, so the bundle finishes and verifies (before: it broke off mid-stream)."""
    chunks = bundles.bundle_chunks(ledger, code(1))
    first = next(chunks)
    for _ in range(stored.KEPT):
        ledger.append_one(*actors["catl"].claim(code(2), "incident", INCIDENT))
        assert commitments.commit_heads(ledger) is not None
    bundle = json.loads(first + b"".join(chunks))
    assert verify_bundle(bundle, ledger.signer.verifier_key).complete_through == 4


def test_a_deeply_nested_value_in_the_commitment_is_refused_not_a_crash(ledger: Ledger, five: None) -> None:
    bundle = make_bundle(ledger, code(1))
    deep: Any = "x"
    for _ in range(900):
        deep = [deep]
    bundle["heads"]["entry"]["claim"]["id"] = deep
    with pytest.raises(VerificationError) as caught:
        verify_bundle(bundle, ledger.signer.verifier_key)
    assert caught.value.message == "malformed bundle: a value is nested too deeply"
