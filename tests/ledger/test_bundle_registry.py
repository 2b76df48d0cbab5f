"""A bundle proves its keys (issue 13): it carries the registry chains of the organisations whose keys
signed the entries it shows, each proven under the bundle's checkpoint, and verify-bundle judges every key
by the log's own registry rules at the entry's position. One known-bad bundle per attack."""

from __future__ import annotations

import base64
import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.errors import VerificationError
from events.orgs import Org, Role
from events.registry import new_registry_claim
from ledger.format import note
from ledger.format.bundle import verify_bundle
from ledger.format.bundlekeys import ShownChain
from ledger.format.canonical import canonical, entry_hash
from ledger.format.claims import sign_claim
from ledger.format.logkey import LogSigner
from ledger.format.redaction import Redactor
from ledger.log import Ledger
from ledger.store.db import make_engine
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN, Caller
from ledger.usecases.bundles import make_bundle, make_redacted_bundle
from ledger.usecases.views import discloses
from tests.conftest import fresh_database
from tests.ledger.conftest import ORIGIN
from tests.ledger.test_bundle import _reseal
from tests.support import PRODUCED, T0, Actor, Clock, code, province, public_b64


@pytest.fixture
def base(ledger: Ledger, actors: dict[str, Actor]) -> int:
    """The index of the first pack entry: the log begins with the organisations' registry entries."""
    return ledger.size()


def _events(ledger: Ledger, actors: dict[str, Actor]) -> None:
    """code(1): catl's `produced` (index base) and `shipped` (base+2), byd-auto's `received` (base+3);
    between them, another pack's `produced` (base+1)."""
    maker, automaker = actors["catl"], actors["byd-auto"]
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    ledger.append_one(*maker.claim(code(9), "produced", PRODUCED))
    ledger.append_one(*maker.claim(code(1), "shipped", {"to": "byd-auto"}))
    ledger.append_one(*automaker.claim(code(1), "received", {"from": "catl"}))


@pytest.fixture
def bundle(ledger: Ledger, actors: dict[str, Actor], base: int) -> dict[str, Any]:
    _events(ledger, actors)
    return make_bundle(ledger, code(1))


def _chain(b: dict[str, Any], org: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in b["registry"] if c["subject"] == f"org:{org}")
    return found


def _refused(b: dict[str, Any], log_key: str, message: str) -> None:
    with pytest.raises(VerificationError) as caught:
        verify_bundle(b, log_key)
    assert caught.value.message == message


def _submit(ledger: Ledger, signer: Actor, subject: str, type: str, data: dict[str, Any]) -> None:
    """A registry claim signed by `signer`'s key, posted as `signer` (POST /v1/registry)."""
    claim = new_registry_claim(subject=subject, type=type, by="signature", actor=signer.id, key=signer.key_id,
                               data=data, at=T0)  # fmt: skip
    orgkeys.submit(ledger, Caller(org=signer.org), claim, sign_claim(claim, signer.private))


def test_a_bundle_carries_each_signers_registry_chain_as_the_log_recorded_it(
    ledger: Ledger, bundle: dict[str, Any], base: int
) -> None:
    assert [c["subject"] for c in bundle["registry"]] == ["org:byd-auto", "org:catl"]
    for org in ("byd-auto", "catl"):
        recorded = [view.entry for view in orgkeys.history(ledger, ADMIN, org)]
        chain = _chain(bundle, org)
        assert chain["entries"] == recorded
        assert [e["claim"]["type"] for e in chain["entries"]] == ["org_registered", "key_added"]
        assert chain["proof"]["index"] == recorded[-1]["index"]
        assert chain["proof"]["tree_size"] == base + 5  # the head commitment the bundle made is entry base+4
        assert chain["head"]["head"] == {"subject": f"org:{org}", "index": recorded[-1]["index"], "seq": 1,
                                         "hash": entry_hash(canonical(recorded[-1]))}  # fmt: skip
    key_added = _chain(bundle, "catl")["entries"][1]
    listed = next(k for k in bundle["keys"] if k["key_id"] == "catl/1")
    assert listed == {
        "key_id": "catl/1",
        "org": "catl",
        "public_key": key_added["claim"]["data"]["public_key"],
        "valid_from": key_added["recorded_at"],
        "revoked_at": None,
        "platform_held": False,
    }
    summary = verify_bundle(bundle, ledger.signer.verifier_key)
    assert summary.registry == (
        ShownChain("byd-auto", 1, _chain(bundle, "byd-auto")["entries"][1]["index"], 1),
        ShownChain("catl", 1, key_added["index"], 1),
    )


def test_a_key_swapped_in_its_registry_entry_is_refused_even_with_every_claim_re_signed(
    ledger: Ledger, bundle: dict[str, Any], actors: dict[str, Actor]
) -> None:
    """The server puts a key of its own in catl's `key_added` and signs catl's claims with it."""
    bad = copy.deepcopy(bundle)
    mine = Ed25519PrivateKey.generate()
    _chain(bad, "catl")["entries"][1]["claim"]["data"]["public_key"] = public_b64(mine)
    for entry in bad["entries"]:
        if entry["claim"]["actor"] == "catl":
            entry["sig"] = sign_claim(entry["claim"], mine)
    bad["keys"][1]["public_key"] = public_b64(mine)
    with pytest.raises(VerificationError, match=r"^registry org:catl: inclusion proof does not verify"):
        verify_bundle(bad, ledger.signer.verifier_key)


def test_a_key_swapped_in_its_registry_entry_of_a_resealed_log_fails_the_signatures(
    bundle: dict[str, Any], base: int
) -> None:
    """Even re-proven under a checkpoint of its own, the swapped key does not verify catl's signatures."""
    bad = copy.deepcopy(bundle)
    swapped = public_b64(Ed25519PrivateKey.generate())
    _chain(bad, "catl")["entries"][1]["claim"]["data"]["public_key"] = swapped
    bad["keys"][1]["public_key"] = swapped
    _refused(bad, _reseal(bad), f"entry seq 0 (index {base}): signature does not verify with key 'catl/1'")


def test_a_registry_entry_removed_from_a_chain_is_refused(ledger: Ledger, bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(bundle)
    entries = _chain(bad, "catl")["entries"]
    index = entries[1]["index"]
    del entries[0]
    _refused(bad, ledger.signer.verifier_key, f"registry org:catl seq 0 (index {index}): expected seq 0, found 1")


def test_an_edited_registry_entry_breaks_its_chain(ledger: Ledger, bundle: dict[str, Any]) -> None:
    """A role added to catl's registration: the `key_added` after it no longer links to it."""
    bad = copy.deepcopy(bundle)
    entries = _chain(bad, "catl")["entries"]
    entries[0]["claim"]["data"]["roles"] = ["manufacturer", "recycler"]
    with pytest.raises(VerificationError) as caught:
        verify_bundle(bad, ledger.signer.verifier_key)
    assert re.fullmatch(
        rf"registry org:catl seq 1 \(index {entries[1]['index']}\): prev [0-9a-f]{{64}} but the previous entry "
        r"hashes to [0-9a-f]{64}",
        caught.value.message,
    )


def test_a_registry_chain_cut_before_the_key_added_is_refused_by_the_head_commitment(
    ledger: Ledger, bundle: dict[str, Any], base: int
) -> None:
    """catl's chain stops at its registration, with a genuine proof of that entry: the log's head
    commitment says the chain went on."""
    bad = copy.deepcopy(bundle)
    chain = _chain(bad, "catl")
    del chain["entries"][1]
    index, size = chain["entries"][0]["index"], chain["proof"]["tree_size"]
    chain["proof"] = {
        "index": index,
        "tree_size": size,
        "hashes": [h.hex() for h in ledger.inclusion_proof(index, size)],
    }
    commitment = bad["heads"]["entry"]["index"]
    _refused(
        bad,
        ledger.signer.verifier_key,
        f"registry org:catl: entries were removed from its end: the log's head commitment at entry {commitment} "
        f"(log size {commitment}) says the chain had 2 entries (the last, seq 1, at entry {index + 1}), but the "
        "bundle lists 1",
    )
    del chain["head"]  # and without the proof of its head, its completeness is unproven
    _refused(
        bad,
        ledger.signer.verifier_key,
        "registry org:catl: no proof of its head ({head, position, path}): completeness is unproven",
    )


def test_a_missing_registry_chain_is_refused(ledger: Ledger, bundle: dict[str, Any], base: int) -> None:
    bad = copy.deepcopy(bundle)
    bad["registry"] = [c for c in bad["registry"] if c["subject"] != "org:byd-auto"]
    _refused(
        bad,
        ledger.signer.verifier_key,
        f"entry seq 2 (index {base + 3}): key 'byd-auto/1' is not shown by the log's registry entries in this bundle",
    )
    del bad["registry"]
    _refused(
        bad,
        ledger.signer.verifier_key,
        "the bundle holds no registry chains (member 'registry'): its keys are unproven",
    )


def test_a_wrong_proof_of_a_registry_chain_is_refused(ledger: Ledger, bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(bundle)
    _chain(bad, "catl")["proof"]["hashes"][0] = "00" * 32
    with pytest.raises(VerificationError, match=r"^registry org:catl: inclusion proof does not verify"):
        verify_bundle(bad, ledger.signer.verifier_key)


def test_a_registry_chain_from_another_log_is_refused(ledger: Ledger, bundle: dict[str, Any], tmp_path: Path) -> None:
    """catl's chain and its proof, taken from another log that registered the same organisations."""
    with fresh_database(tmp_path / "other.db", "other") as url:
        engine = make_engine(url)
        other = Ledger(engine, LogSigner(ORIGIN, Ed25519PrivateKey.generate()), clock=Clock())
        try:
            other.init()
            _events(other, province(other))
            foreign = _chain(make_bundle(other, code(1)), "catl")
        finally:
            other.close()
            engine.dispose()
    bad = copy.deepcopy(bundle)
    bad["registry"] = [foreign if c["subject"] == "org:catl" else c for c in bad["registry"]]
    with pytest.raises(VerificationError, match=r"^registry org:catl: inclusion proof does not verify"):
        verify_bundle(bad, ledger.signer.verifier_key)


def test_an_entry_signed_after_its_keys_shown_revocation_is_refused(
    ledger: Ledger, actors: dict[str, Actor], base: int
) -> None:
    """The administrator revokes catl/1 after catl's entries; a server holding the log key then puts the
    revocation at index base+1, before catl's `shipped` (base+2), and re-proves everything."""
    _events(ledger, actors)
    orgkeys.revoke_key(ledger, ADMIN, "catl", "catl/1")
    honest = make_bundle(ledger, code(1))
    revocation = _chain(honest, "catl")["entries"][-1]
    assert (revocation["claim"]["type"], revocation["index"]) == ("key_revoked", base + 4)
    assert honest["keys"][1]["revoked_at"] == revocation["recorded_at"]
    assert verify_bundle(honest, ledger.signer.verifier_key).registry[1] == ShownChain("catl", 2, base + 4, 2)

    bad = copy.deepcopy(honest)
    _chain(bad, "catl")["entries"][-1]["index"] = base + 1
    _refused(bad, _reseal(bad), f"entry seq 1 (index {base + 2}): key 'catl/1' was revoked before entry {base + 2}")


def test_a_revocation_cut_from_a_registry_chain_is_refused(ledger: Ledger, actors: dict[str, Actor], base: int) -> None:
    """A bundle whose catl chain stops before the revocation (with a genuine proof of its last entry) is
    refused: the log's head commitment names the revocation as the chain's head."""
    _events(ledger, actors)
    orgkeys.revoke_key(ledger, ADMIN, "catl", "catl/1")
    cut = make_bundle(ledger, code(1))
    chain = _chain(cut, "catl")
    del chain["entries"][-1]
    index, size = chain["entries"][-1]["index"], chain["proof"]["tree_size"]
    chain["proof"] = {
        "index": index,
        "tree_size": size,
        "hashes": [h.hex() for h in ledger.inclusion_proof(index, size)],
    }
    cut["keys"][1]["revoked_at"] = None
    commitment = cut["heads"]["entry"]["index"]
    _refused(
        cut,
        ledger.signer.verifier_key,
        f"registry org:catl: entries were removed from its end: the log's head commitment at entry {commitment} "
        f"(log size {commitment}) says the chain had 3 entries (the last, seq 2, at entry {base + 4}), but the "
        "bundle lists 2",
    )


def test_the_signature_of_a_signed_registry_entry_is_checked(
    ledger: Ledger, actors: dict[str, Actor], base: int
) -> None:
    """catl adds catl/2 with a claim signed by catl/1 and signs an entry with it; the bundle verifies, and
    a forged signature on that `key_added` is refused even in a resealed log."""
    maker = actors["catl"]
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    second = Ed25519PrivateKey.generate()
    _submit(ledger, maker, "org:catl", "key_added", {"key_id": "catl/2", "public_key": public_b64(second),
                                                      "platform_held": False})  # fmt: skip
    ledger.append_one(*Actor(maker.org, "catl/2", second).claim(code(1), "shipped", {"to": "byd-auto"}))
    good = make_bundle(ledger, code(1))
    added = _chain(good, "catl")["entries"][2]
    assert (added["claim"]["by"], added["claim"]["key"], "sig" in added) == ("signature", "catl/1", True)
    assert [k["key_id"] for k in good["keys"]] == ["catl/1", "catl/2"]
    assert verify_bundle(good, ledger.signer.verifier_key).entries == 2

    bad = copy.deepcopy(good)
    _chain(bad, "catl")["entries"][2]["sig"] = base64.b64encode(bytes(64)).decode()
    _refused(
        bad,
        _reseal(bad),
        f"registry org:catl seq 2 (index {added['index']}): the log's registry rules refuse key_added: the signature "
        "does not verify with key 'catl/1'",
    )


def test_a_regulators_signed_revocation_brings_the_regulators_chain(
    ledger: Ledger, actors: dict[str, Actor], base: int
) -> None:
    """fj-miit revokes catl/1 with a signed claim: its authority is judged from fj-miit's own chain, which
    the bundle must therefore hold too."""
    _events(ledger, actors)
    _submit(ledger, actors["fj-miit"], "org:catl", "key_revoked", {"key_id": "catl/1"})
    good = make_bundle(ledger, code(1))
    assert [c["subject"] for c in good["registry"]] == ["org:byd-auto", "org:catl", "org:fj-miit"]
    assert verify_bundle(good, ledger.signer.verifier_key).entries == 3

    bad = copy.deepcopy(good)
    bad["registry"] = bad["registry"][:2]
    _refused(
        bad,
        ledger.signer.verifier_key,
        f"registry org:catl seq 2 (index {base + 4}): the log's registry rules refuse key_revoked: unknown "
        "organisation 'fj-miit' authorises key_revoked",
    )


def test_a_redacted_bundle_holds_only_the_registry_chains_of_the_disclosed_entries_signers(
    ledger: Ledger, actors: dict[str, Actor]
) -> None:
    """catl (the maker) reads code(1) after byd-auto passed it to nio-swap: byd-auto's and nio-swap's
    entries are withheld, and so are their registry chains and keys."""
    maker, automaker, swap = actors["catl"], actors["byd-auto"], actors["nio-swap"]
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    ledger.append_one(*maker.claim(code(1), "shipped", {"to": "byd-auto"}))
    ledger.append_one(*automaker.claim(code(1), "received", {"from": "catl"}))
    ledger.append_one(*automaker.claim(code(1), "shipped", {"to": "nio-swap"}))
    ledger.append_one(*swap.claim(code(1), "received", {"from": "byd-auto"}))
    others = [name for org in actors.values() if org.id != "catl" for name in (org.id, org.org.name)]
    disclose = discloses(Caller(org=maker.org), "catl", Redactor(others))
    redacted = make_redacted_bundle(ledger, code(1), disclose, tier="legitimate_interest")
    assert [c["subject"] for c in redacted["registry"]] == ["org:catl"]
    assert [k["key_id"] for k in redacted["keys"]] == ["catl/1"]
    text = json.dumps(redacted["registry"], ensure_ascii=False) + json.dumps(redacted["keys"])
    assert "nio-swap" not in text and "byd-auto" not in text
    summary = verify_bundle(redacted, ledger.signer.verifier_key)
    assert (summary.disclosed, summary.registry) == (
        2,
        (ShownChain("catl", 1, _chain(redacted, "catl")["entries"][1]["index"], 1),),
    )


@pytest.mark.parametrize("version", ["packtrace-bundle/1", "packtrace-redacted-bundle/1"])
def test_a_bundle_of_the_first_format_with_unsigned_keys_is_refused(
    ledger: Ledger, bundle: dict[str, Any], version: str
) -> None:
    old = {**bundle, "format": version}
    _refused(
        old,
        ledger.signer.verifier_key,
        f"{version} lists its keys unsigned, so it cannot prove who signed its entries: fetch the bundle again "
        "(packtrace-bundle/3 or packtrace-redacted-bundle/3 prove the keys from the log's registry entries)",
    )


def test_verify_bundle_says_which_registry_entries_proved_the_keys_and_what_they_leave_open(
    ledger: Ledger, bundle: dict[str, Any], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    def run(b: dict[str, Any]) -> tuple[int, list[str]]:
        path = tmp_path / "bundle.json"
        path.write_text(json.dumps(b, ensure_ascii=False))
        result = CliRunner().invoke(app, ["verify-bundle", str(path), "--log-key", ledger.signer.verifier_key])
        return result.exit_code, result.output.splitlines()

    exit_code, lines = run(bundle)
    assert exit_code == 0 and lines[0].startswith(f"OK: pack {code(1)}: entries 0–2 proven")
    byd, catl = (_chain(bundle, org)["entries"][-1]["index"] for org in ("byd-auto", "catl"))
    size = bundle["heads"]["entry"]["claim"]["data"]["size"]
    assert " ".join(lines[1:]) == (
        "Keys: each signature checked with a key of its actor in force at its entry, as the log's registry entries "
        f"in this bundle show it: byd-auto's entries 0–1 (the last at index {byd}), catl's entries 0–1 (the last "
        f"at index {catl}), included in the log at tree size {bundle['proof']['tree_size']}; each organisation's "
        f"registry chain complete up to log size {size} by the same head commitment"
    )
    bad = copy.deepcopy(bundle)
    _chain(bad, "catl")["entries"][1]["claim"]["data"]["public_key"] = public_b64(Ed25519PrivateKey.generate())
    exit_code, lines = run(bad)
    assert exit_code == 1 and lines[0].startswith("FAILED registry org:catl: inclusion proof does not verify")


# -- keys the migration imported: recorded after the entries they signed, they keep their time window ----


CATL = Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"}))


def _migrated_bundle(by: str, valid_from: str) -> tuple[dict[str, Any], str]:
    """A pack entry at index 0 signed by catl/1, then catl's registry entries at indices 1 and 2 (as the
    migration appends them after an older database's entries), resealed; answer the bundle and log key."""
    private = Ed25519PrivateKey.generate()
    recorded = "2026-03-02T01:00:00.000000Z"
    claim, sig = Actor(CATL, "catl/1", private).claim(code(1), "produced", PRODUCED)
    pack_entry = {"claim": claim, "index": 0, "pack": code(1), "prev": None, "recorded_at": recorded, "seq": 0,
                  "sig": sig, "v": 1}  # fmt: skip
    registered = new_registry_claim(subject="org:catl", type="org_registered", by="migration", at=T0, data={
        "name": "宁德时代", "roles": ["manufacturer"], "manufacturer_codes": ["001"], "region": None,
        "whitelisted": False})  # fmt: skip
    key_data: dict[str, Any] = {"key_id": "catl/1", "public_key": public_b64(private), "platform_held": False}
    if by == "migration":
        key_data |= {"valid_from": valid_from, "revoked_at": None}
    added = new_registry_claim(subject="org:catl", type="key_added", by=by, at=T0, data=key_data)
    later = "2026-12-04T10:00:00.000000Z"
    chain = [
        {"claim": c, "index": i, "prev": None, "recorded_at": later, "seq": i - 1, "subject": "org:catl", "v": 1}
        for i, c in ((1, registered), (2, added))
    ]
    key = {"key_id": "catl/1", "org": "catl", "public_key": public_b64(private), "platform_held": False,
           "valid_from": valid_from if by == "migration" else later, "revoked_at": None}  # fmt: skip
    placeholder = note.sign_note(note.checkpoint_text(ORIGIN, 4, bytes(32)), ORIGIN, Ed25519PrivateKey.generate())
    commitment = {"claim": new_registry_claim(subject="heads", type="heads_committed", by="log", at=T0,
                                              data={"size": 3, "count": 0, "root": "00" * 32}),
                  "index": 3, "prev": None, "recorded_at": later, "seq": 0, "subject": "heads", "v": 1}  # fmt: skip

    def head(subject: str, seq: int) -> dict[str, Any]:  # index, hash, position and path: set by _reseal
        return {"head": {"subject": subject, "index": 0, "seq": seq, "hash": "00" * 32}, "position": 0, "path": []}

    b: dict[str, Any] = {
        "format": "packtrace-bundle/3", "pack": code(1), "entries": [pack_entry],
        "registry": [{"subject": "org:catl", "entries": chain, "proof": {"index": 2, "tree_size": 4, "hashes": []},
                      "head": head("org:catl", 1)}],
        "keys": [key], "proof": {"index": 0, "tree_size": 4, "hashes": []}, "checkpoint": placeholder,
        "heads": {"entry": commitment, "proof": {"index": 3, "tree_size": 4, "hashes": []}, "head": head(code(1), 0)},
    }  # fmt: skip
    return b, _reseal(b)


def test_a_migrated_key_signs_the_entries_recorded_before_the_migration_within_its_time_window() -> None:
    b, log_key = _migrated_bundle("migration", "2026-01-01T00:00:00.000000Z")
    assert verify_bundle(b, log_key).registry == (ShownChain("catl", 1, 2, 1),)
    b, log_key = _migrated_bundle("migration", "2026-03-02T01:00:00.000001Z")
    _refused(b, log_key, "entry seq 0 (index 0): key 'catl/1' was not yet valid at entry 0")


def test_a_key_added_after_an_entry_other_than_by_the_migration_does_not_sign_it() -> None:
    b, log_key = _migrated_bundle("admin", "")
    _refused(
        b,
        log_key,
        "entry seq 0 (index 0): key 'catl/1' is added by the log's registry entry at index 2, after this entry",
    )


def test_the_listed_keys_are_for_readers_and_a_bundle_without_them_is_judged_by_its_registry_chains(
    ledger: Ledger, bundle: dict[str, Any]
) -> None:
    lean = {name: value for name, value in bundle.items() if name != "keys"}
    assert verify_bundle(lean, ledger.signer.verifier_key).entries == 3
    padded = copy.deepcopy(bundle)
    padded["keys"].append({**padded["keys"][0], "key_id": "gem-recycling/1", "org": "gem-recycling"})
    _refused(
        padded, ledger.signer.verifier_key, "keys: lists 'gem-recycling/1', which signed no entry shown in this bundle"
    )


def test_a_pack_entry_claiming_a_registry_entrys_index_is_refused(bundle: dict[str, Any]) -> None:
    """One leaf holds one entry: catl's `produced` moved onto the index of catl's `key_added`, re-proven."""
    bad = copy.deepcopy(bundle)
    index = _chain(bad, "catl")["entries"][1]["index"]
    bad["entries"][0]["index"] = index
    _refused(bad, _reseal(bad), f"entry seq 0 (index {index}): registry org:catl holds an entry at the same index")


# -- a database made before the registry was in the log (tests/data/pre_registry), migrated --------------


def test_bundles_of_a_migrated_database_prove_the_keys_of_the_entries_recorded_before_the_migration(
    tmp_path: Path,
) -> None:
    """Its pack entries precede the migration's registry entries: each migrated key signs them within its
    time window — catl/1 too, revoked before the migration but after catl's entries."""
    from api.bootstrap import build_ledger
    from api.settings import Settings
    from tests.test_registry_migration import FIXTURE
    from tests.test_registry_migration import ORIGIN as OLD_ORIGIN

    folder = tmp_path / "old"
    shutil.copytree(FIXTURE, folder)
    settings = Settings(database_url=f"sqlite:///{folder / 'ledger.db'}", log_origin=OLD_ORIGIN,
                        log_key_file=folder / "log.key", sealing_key_file=folder / "sealing.key")  # fmt: skip
    ledger = build_ledger(settings)  # the first start migrates
    try:
        for n in (1, 2, 3):
            b = make_bundle(ledger, code(n))
            assert max(e["index"] for e in b["entries"]) < min(e["index"] for c in b["registry"] for e in c["entries"])
            assert {e["claim"]["by"] for c in b["registry"] for e in c["entries"]} == {"migration"}
            summary = verify_bundle(b, ledger.signer.verifier_key)
            assert summary.entries == len(b["entries"])
        catl = next(k for k in make_bundle(ledger, code(1))["keys"] if k["key_id"] == "catl/1")
        assert catl["revoked_at"] is not None
        # moved back before catl/1's window, the same migrated key is refused
        bad = make_bundle(ledger, code(1))
        added = next(e for e in _chain(bad, "catl")["entries"] if e["claim"]["data"].get("key_id") == "catl/1")
        added["claim"]["data"]["valid_from"] = "2030-01-01T00:00:00.000000Z"
        for listed in bad["keys"]:
            if listed["key_id"] == "catl/1":
                listed["valid_from"] = "2030-01-01T00:00:00.000000Z"
        first = bad["entries"][0]
        _refused(
            bad,
            _reseal(bad),
            f"entry seq 0 (index {first['index']}): key 'catl/1' was not yet valid at entry {first['index']}",
        )
    finally:
        ledger.close()
        ledger.engine.dispose()


def test_a_migration_entry_after_registry_entries_made_in_the_log_is_refused(
    ledger: Ledger, bundle: dict[str, Any]
) -> None:
    """catl's `key_added` relabelled as the migration's (with a time window), after catl's admin-made
    registration: the migration's entries open the registry, never follow it."""
    bad = copy.deepcopy(bundle)
    added = _chain(bad, "catl")["entries"][1]
    added["claim"]["by"] = "migration"
    added["claim"]["data"] |= {"valid_from": added["recorded_at"], "revoked_at": None}
    _refused(
        bad,
        _reseal(bad),
        f"registry org:catl seq 1 (index {added['index']}): a migration entry follows registry entries made in the log",
    )
