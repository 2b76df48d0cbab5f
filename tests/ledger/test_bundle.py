"""The offline bundle: what it holds, and one known-bad bundle per attack. Every fixture's log begins with
the registry entries of its organisations: `base` is the log's size after them, the index of the first
pack entry. (How a bundle proves its keys: tests/ledger/test_bundle_registry.py.)"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.errors import VerificationError
from events.orgs import Org, Role
from ledger.format import heads, merkle, note
from ledger.format.bundle import verify_bundle
from ledger.format.canonical import canonical, entry_hash
from ledger.format.claims import sign_claim
from ledger.format.redaction import Redactor
from ledger.log import Ledger
from ledger.usecases.access import Caller
from ledger.usecases.bundles import make_bundle, make_redacted_bundle, window_bundle
from ledger.usecases.views import discloses
from tests import specverify
from tests.support import PRODUCED, Actor, code


@pytest.fixture
def base(ledger: Ledger, actors: dict[str, Actor]) -> int:
    """The index of the first pack entry: the log begins with the organisations' registry entries."""
    return ledger.size()


@pytest.fixture
def bundle(ledger: Ledger, actors: dict[str, Actor], base: int) -> dict[str, Any]:
    """code(2)'s chain at indices base+1 (produced), base+3 (shipped), base+4 (received), in a log of
    base+6 entries."""
    maker, automaker = actors["catl"], actors["byd-auto"]
    for n in range(1, 4):
        ledger.append_one(*maker.claim(code(n), "produced", PRODUCED))
    ledger.append_one(*maker.claim(code(2), "shipped", {"to": "byd-auto"}))
    ledger.append_one(*automaker.claim(code(2), "received", {"from": "catl"}))
    ledger.append_one(*maker.claim(code(3), "shipped", {"to": "byd-auto"}))
    return make_bundle(ledger, code(2))


def test_bundle_holds_the_chain_its_keys_registry_chains_proof_and_checkpoint(
    ledger: Ledger, bundle: dict[str, Any], base: int
) -> None:
    assert bundle["format"] == "packtrace-bundle/3"
    assert [e["seq"] for e in bundle["entries"]] == [0, 1, 2]
    assert [e["index"] for e in bundle["entries"]] == [base + 1, base + 3, base + 4]
    assert [c["subject"] for c in bundle["registry"]] == ["org:byd-auto", "org:catl"]
    assert [k["key_id"] for k in bundle["keys"]] == ["byd-auto/1", "catl/1"]
    # the log committed to every chain's head (entry base+6, covering size base+6) before writing it
    assert bundle["heads"]["entry"]["index"] == base + 6
    assert bundle["heads"]["entry"]["claim"]["data"]["size"] == base + 6
    assert bundle["heads"]["head"]["head"] == {
        "subject": code(2), "index": base + 4, "seq": 2, "hash": entry_hash(canonical(bundle["entries"][-1]))
    }  # fmt: skip
    assert bundle["proof"]["index"] == base + 4 and bundle["proof"]["tree_size"] == base + 7
    summary = verify_bundle(bundle, ledger.signer.verifier_key)
    assert (summary.pack, summary.entries, summary.tree_size) == (code(2), 3, base + 7)
    assert (summary.complete_through, summary.committed_size, summary.commitment) == (2, base + 6, base + 6)
    # the same bundle checks with the independent verifier written from the specs
    checkpoint = specverify.verify_checkpoint(bundle["checkpoint"], ledger.signer.verifier_key)
    last = specverify.entry_bytes(bundle["entries"][-1])
    specverify.verify_inclusion(last, base + 4, base + 7, bundle["proof"]["hashes"], checkpoint.root)


def _resign(b: dict[str, Any]) -> None:
    body = b["checkpoint"].split("\n\n")[0] + "\n"
    b["checkpoint"] = note.sign_note(body, "packtrace.test/log", Ed25519PrivateKey.generate())


def _drop_middle(b: dict[str, Any]) -> None:
    del b["entries"][1]


def _swap(b: dict[str, Any]) -> None:
    b["entries"][0], b["entries"][1] = b["entries"][1], b["entries"][0]


def _edit(b: dict[str, Any]) -> None:
    b["entries"][1]["claim"]["data"]["to"] = "nio-swap"


def _proof(b: dict[str, Any]) -> None:
    b["proof"]["hashes"][0] = "00" * 32


def _listed_key(b: dict[str, Any]) -> None:
    b["keys"][1]["public_key"] = base64.b64encode(b"\x01" * 32).decode()


def _listed_validity(b: dict[str, Any]) -> None:
    b["keys"][1]["valid_from"] = "2030-01-01T00:00:00.000000Z"


def _truncate(b: dict[str, Any]) -> None:
    del b["entries"][-1]


# Messages name indices as offsets from `base` ({b3} is index base+3).
ATTACKS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "checkpoint signed by another key": (_resign, "no signature by"),
    "middle entry removed": (_drop_middle, "entry seq 1 (index {b4}): expected seq 1, found 2"),
    "entries swapped": (_swap, "entry seq 0 (index {b3}): expected seq 0, found 1"),
    "event edited": (_edit, "entry seq 1 (index {b3}): signature does not verify with key 'catl/1'"),
    "proof hash changed": (_proof, "inclusion proof does not verify"),
    "listed key replaced": (
        _listed_key,
        "keys: key 'catl/1' differs from the log's registry entries in this bundle in public_key",
    ),
    "listed key's validity changed": (
        _listed_validity,
        "keys: key 'catl/1' differs from the log's registry entries in this bundle in valid_from",
    ),
    "last entry removed": (_truncate, "proof is for index {b4}, the last entry is {b3}"),
}


def _at(message: str, base: int) -> str:
    """`message` with its {bN} filled in (index base+N), as a regular expression."""
    filled = message.format(**{f"b{n}": base + n for n in range(8)})
    return filled.replace("(", r"\(").replace(")", r"\)")


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_altered_bundle_is_refused(ledger: Ledger, bundle: dict[str, Any], base: int, name: str) -> None:
    attack, message = ATTACKS[name]
    bad = copy.deepcopy(bundle)
    attack(bad)
    with pytest.raises(VerificationError, match=_at(message, base)):
        verify_bundle(bad, ledger.signer.verifier_key)


def test_a_bundle_checked_against_another_log_key_is_refused(bundle: dict[str, Any]) -> None:
    other = note.verifier_key("packtrace.test/log", Ed25519PrivateKey.generate().public_key())
    with pytest.raises(VerificationError, match="no signature by"):
        verify_bundle(bundle, other)


# -- item 7: the redacted bundle (the legitimate-interest tier) ------------------------------------------


@pytest.fixture
def redacted(ledger: Ledger, actors: dict[str, Actor], base: int) -> dict[str, Any]:
    """code(2) as byd-auto sees it: catl's `produced` (clean, index base+1) and byd-auto's own `received`
    and `incident` (base+3, base+4) verbatim; catl's `shipped` (base+2: it names the receiver and a
    waybill) withheld."""
    maker, automaker = actors["catl"], actors["byd-auto"]
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    ledger.append_one(*maker.claim(code(2), "produced", PRODUCED))
    ledger.append_one(*maker.claim(code(2), "shipped", {"to": "byd-auto", "waybill": "SF-9"}))
    ledger.append_one(*automaker.claim(code(2), "received", {"from": "catl"}))
    ledger.append_one(*automaker.claim(code(2), "incident", INCIDENT))
    ledger.append_one(*maker.claim(code(1), "shipped", {"to": "byd-auto"}))
    caller = Caller(org=automaker.org)
    others = [name for org in actors.values() if org.id not in {"byd-auto", "catl"} for name in (org.id, org.org.name)]
    disclose = discloses(caller, "catl", Redactor(others))
    return make_redacted_bundle(ledger, code(2), disclose, tier="legitimate_interest")


INCIDENT = {"kind": "other", "severity": "low", "description": "dropped at the dock"}


def test_item7_a_redacted_bundle_shows_what_the_tier_may_read_and_proves_it(
    ledger: Ledger, redacted: dict[str, Any], base: int
) -> None:
    assert redacted["format"] == "packtrace-redacted-bundle/3"
    items = redacted["items"]
    assert [sorted(item) for item in items] == [["entry", "proof"], ["seq", "withheld"], ["entry"], ["entry", "proof"]]
    assert items[1] == {"seq": 1, "withheld": True}
    assert "SF-9" not in json.dumps(redacted)
    assert [k["key_id"] for k in redacted["keys"]] == ["byd-auto/1", "catl/1"]
    assert [c["subject"] for c in redacted["registry"]] == ["org:byd-auto", "org:catl"]
    assert [item["proof"]["index"] for item in items if "proof" in item] == [base + 1, base + 4]
    summary = verify_bundle(redacted, ledger.signer.verifier_key)
    assert (summary.entries, summary.disclosed, summary.withheld, summary.proven_through) == (4, 3, 1, 3)
    # the full bundle's entry 1 hashes to what the redacted bundle's entry 2 says precedes it
    full = make_bundle(ledger, code(2))
    assert entry_hash(canonical(full["entries"][1])) == items[2]["entry"]["prev"]


def _content_for_withheld(b: dict[str, Any]) -> None:
    b["items"][1]["type"] = "recycled"


def _withheld_removed(b: dict[str, Any]) -> None:
    del b["items"][1]


def _disclosed_edited(b: dict[str, Any]) -> None:
    b["items"][2]["entry"]["claim"]["data"]["from"] = "gem"


def _prev_after_withheld_changed(b: dict[str, Any]) -> None:
    b["items"][2]["entry"]["prev"] = "ab" * 32


def _proof_dropped(b: dict[str, Any]) -> None:
    del b["items"][0]["proof"]


def _last_proof_dropped(b: dict[str, Any]) -> None:
    del b["items"][3]["proof"]


def _disclosed_hidden(b: dict[str, Any]) -> None:
    """The server withholds an entry whose successor proves it, leaving that successor unproven."""
    b["items"][3] = {"seq": 3, "withheld": True}


def _entry_inserted(b: dict[str, Any]) -> None:
    b["items"].insert(3, {"entry": copy.deepcopy(b["items"][2]["entry"])})


REDACTED_ATTACKS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "content added to a withheld entry": (_content_for_withheld, "item 1: a withheld entry holds only its seq"),
    "withheld entry removed": (_withheld_removed, "entry seq 1 (index {b3}): expected seq 1, found 2"),
    "disclosed entry edited": (_disclosed_edited, "entry seq 2 (index {b3}): signature does not verify"),
    "prev after a withheld entry changed": (
        _prev_after_withheld_changed,
        "entry seq 3 (index {b4}): prev [0-9a-f]{{64}} but the previous entry hashes to [0-9a-f]{{64}}",
    ),
    "proof of an entry before a withheld one dropped": (
        _proof_dropped,
        "entry seq 0: followed by a withheld entry, it needs a proof",
    ),
    "last proof dropped": (_last_proof_dropped, "entry seq 3: the last disclosed entry needs a proof"),
    "proving successor withheld": (_disclosed_hidden, "entry seq 2: followed by a withheld entry, it needs a proof"),
    "entry inserted": (_entry_inserted, "entry seq 3 (index {b3}): expected seq 3, found 2"),
}


@pytest.mark.parametrize("name", list(REDACTED_ATTACKS))
def test_item7_each_altered_redacted_bundle_is_refused(
    ledger: Ledger, redacted: dict[str, Any], base: int, name: str
) -> None:
    attack, message = REDACTED_ATTACKS[name]
    bad = copy.deepcopy(redacted)
    attack(bad)
    with pytest.raises(VerificationError, match=_at(message, base)):
        verify_bundle(bad, ledger.signer.verifier_key)


def test_item7_withheld_entries_after_the_last_disclosed_one_are_not_proven(
    ledger: Ledger, redacted: dict[str, Any]
) -> None:
    """The server may claim more withheld entries at the end; the bundle does not prove them, and says so."""
    padded = copy.deepcopy(redacted)
    padded["items"] += [{"seq": 4, "withheld": True}, {"seq": 5, "withheld": True}]
    summary = verify_bundle(padded, ledger.signer.verifier_key)
    assert (summary.entries, summary.disclosed, summary.proven_through) == (6, 3, 3)


def test_item7_the_legitimate_interest_tier_sees_its_own_entries_and_the_makers_clean_ones() -> None:
    maker, caller = "catl", Caller(org=Org("byd-auto", "BYD", frozenset({Role.AUTOMAKER})))
    disclose = discloses(caller, maker, Redactor(["gem", "格林美"]))

    def entry(actor: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"claim": {"actor": actor, "type": type_, "data": data}}

    assert disclose(entry("byd-auto", "installed", {"vin": "LSVAU2180N2183294"}))  # its own
    assert disclose(entry("catl", "produced", PRODUCED))
    assert not disclose(entry("catl", "shipped", {"to": "byd-auto"}))  # names a counterparty
    assert not disclose(entry("catl", "recalled", {"campaign": "R1", "reason": "cells from 格林美"}))
    assert not disclose(entry("gem", "inspected", {"soh_pct": 80, "verdict": "reuse"}))  # another actor


def test_item7_an_entry_the_log_never_recorded_is_refused_even_when_its_signature_is_real(
    ledger: Ledger, actors: dict[str, Actor], redacted: dict[str, Any]
) -> None:
    """A server holding an organisation's key (a platform-held one) still cannot slip in an entry."""
    forged = copy.deepcopy(redacted)
    entry = forged["items"][3]["entry"]
    entry["claim"]["data"] = {**INCIDENT, "description": "never happened"}
    entry["sig"] = sign_claim(entry["claim"], actors["byd-auto"].private)
    with pytest.raises(VerificationError, match="inclusion proof does not verify"):
        verify_bundle(forged, ledger.signer.verifier_key)


# -- review of item 7: what a bundle proves, and two cheap checks ---------------------------------------

LOG = "packtrace.test/log"


def _inclusion(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 PATH(index, leaves)."""
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < k:
        return [*_inclusion(index, leaves[:k]), merkle.root(leaves[k:])]
    return [*_inclusion(index - k, leaves[k:]), merkle.root(leaves[:k])]


def _recommit(b: dict[str, Any], items: list[dict[str, Any]], chains: list[list[dict[str, Any]]]) -> None:
    """The head commitment a server would make for the edited chains: each head proven in the bundle takes
    the hash (and index) of the listed entry at its seq, in a new tree over those heads alone."""
    if "heads" not in b:
        return
    members = [(b["pack"], items, b["heads"]["head"])]
    members += [(c["subject"], listed, c["head"]) for c, listed in zip(b.get("registry", []), chains, strict=True)]
    for _, listed, member in members:
        item = listed[member["head"]["seq"]] if member["head"]["seq"] < len(listed) else {}
        if "entry" in item:
            member["head"]["hash"] = entry_hash(canonical(item["entry"]))
            member["head"]["index"] = item["entry"]["index"]
    tree = heads.build(heads.read_head(m["head"]) for _, _, m in members)
    for position, head in enumerate(tree.heads):
        member = next(m for subject, _, m in members if subject == head.subject)
        member["position"] = position
        member["path"] = [h.hex() for h in heads.proof(position, tree.count, tree.nodes)]
    b["heads"]["entry"]["claim"]["data"].update(count=tree.count, root=tree.root.hex())


def _reseal(b: dict[str, Any]) -> str:
    """Re-link, re-prove and re-sign bundle `b` (full or redacted) after its entries were edited, as a
    server holding its log key could: each disclosed entry's `prev` set to the hash of a disclosed entry
    before it (in the pack's chain and in each registry chain), the entries put at their `index` in a tree
    of the checkpoint's size (filler elsewhere), the proofs recomputed, the checkpoint signed with a new log
    key; answer that key's verifier key."""
    items = b["items"] if "items" in b else [{"entry": e} for e in b["entries"]]
    chains = [[{"entry": e} for e in chain["entries"]] for chain in b.get("registry", [])]
    for listed in (items, *chains):
        prev: str | None = None
        for item in listed:
            if "entry" not in item:
                prev = None
                continue
            if prev is not None:
                item["entry"]["prev"] = prev
            prev = entry_hash(canonical(item["entry"]))
    _recommit(b, items, chains)
    size = note.parse_checkpoint(b["checkpoint"].split("\n\n")[0] + "\n").size
    leaves = [merkle.leaf_hash(b"filler %d" % n) for n in range(size)]
    for item in [*items, *(item for chain in chains for item in chain)]:
        if "entry" in item:
            leaves[item["entry"]["index"]] = merkle.leaf_hash(canonical(item["entry"]))
    proofs = [(item["entry"], item["proof"]) for item in items if "proof" in item]
    if "heads" in b:
        leaves[b["heads"]["entry"]["index"]] = merkle.leaf_hash(canonical(b["heads"]["entry"]))
        proofs.append((b["heads"]["entry"], b["heads"]["proof"]))
    proofs += [(chain["entries"][-1], chain["proof"]) for chain in b.get("registry", [])]
    if "entries" in b:
        proofs.append((b["entries"][-1], b["proof"]))
    for entry, proof in proofs:
        proof["index"] = entry["index"]
        proof["hashes"] = [h.hex() for h in _inclusion(entry["index"], leaves)]
    key = Ed25519PrivateKey.generate()
    b["checkpoint"] = note.sign_note(note.checkpoint_text(LOG, size, merkle.root(leaves)), LOG, key)
    return note.verifier_key(LOG, key.public_key())


def _refused(b: dict[str, Any], log_key: str, message: str) -> None:
    with pytest.raises(VerificationError) as caught:
        verify_bundle(b, log_key)
    assert caught.value.message == message


def test_item7_a_resealed_full_bundle_verifies_so_the_forgeries_below_fail_on_their_defect_alone(
    bundle: dict[str, Any],
) -> None:
    b = copy.deepcopy(bundle)
    assert verify_bundle(b, _reseal(b)).proven_through == 2


def test_item7_a_resealed_redacted_bundle_verifies_so_the_forgeries_below_fail_on_their_defect_alone(
    redacted: dict[str, Any],
) -> None:
    b = copy.deepcopy(redacted)
    assert verify_bundle(b, _reseal(b)).proven_through == 3


def test_item7_a_bundle_cut_short_is_refused_by_the_head_commitment(ledger: Ledger, bundle: dict[str, Any]) -> None:
    """One proof of the last listed entry proves entries 0…k, not that the chain ends there: a server that
    proves an earlier entry instead (a legitimate proof against the same checkpoint) cuts the end, and the
    log's head commitment, which names the chain's real head, refuses it."""
    summary = verify_bundle(bundle, ledger.signer.verifier_key)
    assert (summary.proven_through, summary.claimed_after) == (2, 0)
    cut = window_bundle(ledger, code(2), 0, 1)
    cut["checkpoint"], cut["heads"] = bundle["checkpoint"], bundle["heads"]
    cut["proof"] = {**bundle["proof"], "index": cut["entries"][-1]["index"],
                    "hashes": [h.hex() for h in ledger.inclusion_proof(cut["entries"][-1]["index"],
                                                                       bundle["proof"]["tree_size"])]}  # fmt: skip
    cut["registry"] = bundle["registry"]
    head = bundle["heads"]["head"]["head"]
    _refused(
        cut,
        ledger.signer.verifier_key,
        f"pack {code(2)}: entries were removed from its end: the log's head commitment at entry {head['index'] + 2} "
        f"(log size {head['index'] + 2}) says the chain had 3 entries (the last, seq 2, at entry {head['index']}), "
        "but the bundle lists 2",
    )


def test_item7_withheld_items_after_the_last_disclosed_entry_are_counted_as_claimed_not_proven(
    ledger: Ledger, redacted: dict[str, Any]
) -> None:
    padded = copy.deepcopy(redacted)
    padded["items"] += [{"seq": 4, "withheld": True}, {"seq": 5, "withheld": True}]
    summary = verify_bundle(padded, ledger.signer.verifier_key)
    assert (summary.proven, summary.disclosed, summary.withheld_proven, summary.claimed_after) == (4, 3, 1, 2)


def test_item7_a_redacted_bundle_disclosing_no_entry_is_refused(ledger: Ledger, redacted: dict[str, Any]) -> None:
    hollow = copy.deepcopy(redacted)
    hollow["items"] = [{"seq": n, "withheld": True} for n in range(len(hollow["items"]))]
    _refused(
        hollow, ledger.signer.verifier_key, f"no entry is disclosed: this bundle proves nothing about pack {code(2)}"
    )


def test_item7_an_index_that_does_not_increase_along_the_chain_is_refused(bundle: dict[str, Any], base: int) -> None:
    """Entry seq 1 put at index base, before entry seq 0 (base+1): chained, signed, proven, and impossible."""
    bad = copy.deepcopy(bundle)
    bad["entries"][1]["index"] = base
    _refused(
        bad,
        _reseal(bad),
        f"entry seq 1 (index {base}): index must increase along the chain, but entry seq 0 has index {base + 1}",
    )


def test_item7_an_index_leaving_no_room_for_the_withheld_entries_between_is_refused(
    redacted: dict[str, Any], base: int
) -> None:
    """Entry seq 2 at base+2, one after entry seq 0 (base+1): no index is left for withheld entry seq 1."""
    bad = copy.deepcopy(redacted)
    bad["items"][2]["entry"]["index"] = base + 2
    _refused(
        bad,
        _reseal(bad),
        f"entry seq 2 (index {base + 2}): index must exceed index {base + 1} of entry seq 0 by at least 2, as the "
        "1 withheld entries between them have indices of their own",
    )


def test_item7_a_replayed_claim_in_a_full_bundle_is_refused(bundle: dict[str, Any], base: int) -> None:
    """catl's `shipped` claim (seq 1) recorded again as seq 2: its signature is real, the chain links."""
    bad = copy.deepcopy(bundle)
    replay = copy.deepcopy(bad["entries"][1])
    replay.update(seq=2, index=base + 4)
    bad["entries"][2] = replay
    claim_id = replay["claim"]["id"]
    _refused(
        bad,
        _reseal(bad),
        f"entry seq 2 (index {base + 4}): claim {claim_id!r} of 'catl' appears twice in the bundle (first as entry "
        "seq 1): a replayed claim",
    )


def test_item7_a_replayed_claim_in_a_redacted_bundle_is_refused(redacted: dict[str, Any], base: int) -> None:
    """byd-auto's `received` claim (seq 2) recorded again as seq 3, in place of its incident."""
    bad = copy.deepcopy(redacted)
    replay = copy.deepcopy(bad["items"][2]["entry"])
    replay.update(seq=3, index=base + 4)
    bad["items"][3]["entry"] = replay
    claim_id = replay["claim"]["id"]
    _refused(
        bad,
        _reseal(bad),
        f"entry seq 3 (index {base + 4}): claim {claim_id!r} of 'byd-auto' appears twice in the bundle (first as entry "
        "seq 2): a replayed claim",
    )
