"""The spec-text verifier against the vector files, and cross-checked with ledger.format.merkle and ledger.note."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from events.errors import PacktraceError
from ledger.format import merkle, note
from tests import specverify, vectors
from tests.specverify import SpecViolation

VECTORS: dict[str, Any] = vectors.load("rfc6962-vectors.json")
EXAMPLE: dict[str, str] = vectors.load("c2sp-signed-note-example.json")
LEAF_INPUTS = [bytes.fromhex(x) for x in VECTORS["leaf_inputs_hex"]]


def flip_hex(hashes: list[str], position: int) -> list[str]:
    changed = list(hashes)
    changed[position] = f"{int(changed[position][0], 16) ^ 1:x}" + changed[position][1:]
    return changed


# --- The vector files -------------------------------------------------------------------------------


def test_mth_matches_every_vector_root() -> None:
    for size, expected in enumerate(VECTORS["roots_by_size"]):
        assert specverify.mth(LEAF_INPUTS[:size]).hex() == expected


@pytest.mark.parametrize("case", VECTORS["inclusion_proofs"], ids=lambda c: f"{c['index']}-of-{c['tree_size']}")
def test_vector_inclusion_proof_and_its_tamperings(case: dict[str, Any]) -> None:
    index, size, hashes, root = case["index"], case["tree_size"], case["hashes"], case["root"]
    specverify.verify_inclusion(LEAF_INPUTS[index], index, size, hashes, bytes.fromhex(root))
    specverify.verify_inclusion(bytes.fromhex(case["leaf_hash"]), index, size, hashes, root, hashed=True)
    for position in range(len(hashes)):
        with pytest.raises(SpecViolation, match="inclusion proof gives root"):
            specverify.verify_inclusion(LEAF_INPUTS[index], index, size, flip_hex(hashes, position), root)
    if size + 1 < len(VECTORS["roots_by_size"]):
        bigger_root = VECTORS["roots_by_size"][size + 1]
        with pytest.raises(SpecViolation, match=r"too many|too short|gives root"):
            specverify.verify_inclusion(LEAF_INPUTS[index], index, size + 1, hashes, bigger_root)
    with pytest.raises(SpecViolation, match="hashes too many"):
        specverify.verify_inclusion(LEAF_INPUTS[index], index, size, [*hashes, root], root)


@pytest.mark.parametrize("case", VECTORS["consistency_proofs"], ids=lambda c: f"{c['from']}-to-{c['to']}")
def test_vector_consistency_proof_and_its_tamperings(case: dict[str, Any]) -> None:
    old, new, hashes = case["from"], case["to"], case["hashes"]
    specverify.verify_consistency(old, new, hashes, case["old_root"], case["new_root"])
    for position in range(len(hashes)):
        with pytest.raises(SpecViolation, match="consistency proof gives roots"):
            specverify.verify_consistency(old, new, flip_hex(hashes, position), case["old_root"], case["new_root"])
    with pytest.raises(SpecViolation):
        specverify.verify_consistency(old, new, [*hashes, case["old_root"]], case["old_root"], case["new_root"])


def test_example_note_verifies_and_rejects_changes() -> None:
    vkey, signed = EXAMPLE["verifier_key"], EXAMPLE["note"]
    assert specverify.verify_note(signed, vkey) == "This is an example message.\n"
    assert specverify.parse_vkey(vkey).key_id.hex() == "530d903a"
    with pytest.raises(SpecViolation, match=r"signature by example\.com/foo fails"):
        specverify.verify_note(signed.replace("example", "Example", 1), vkey)
    with pytest.raises(SpecViolation, match=r"signature by example\.com/foo fails"):
        specverify.verify_note(signed.replace("Uw2QOkn8", "Uw2QOkn9"), vkey)
    with pytest.raises(SpecViolation, match="non-canonical base64"):
        specverify.verify_note(signed.replace("aQM=", "aQN="), vkey)
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    other_vkey = note.verifier_key("example.com/foo", other)
    with pytest.raises(SpecViolation, match=r"no signature by example\.com/foo"):
        specverify.verify_note(signed, other_vkey)


def test_example_checkpoint_body_parses() -> None:
    checkpoint = specverify.parse_checkpoint(EXAMPLE["checkpoint_body_example"])
    assert checkpoint[:3] == (
        "example.com/behind-the-sofa",
        20852163,
        base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
    )
    assert checkpoint.extensions == ()


def test_entry_hash_is_sha256_of_rfc8785_bytes() -> None:
    entry: dict[str, Any] = {
        "v": 1,
        "index": 0,
        "pack": "X",
        "seq": 0,
        "prev": None,
        "claim": {"b": "é", "a": 1.0},
    }
    assert specverify.entry_bytes(entry) == (
        b'{"claim":{"a":1,"b":"\xc3\xa9"},"index":0,"pack":"X","prev":null,"seq":0,"v":1}'
    )
    assert specverify.entry_hash(entry) == hashlib.sha256(rfc8785.dumps(entry)).hexdigest()


# --- Cross-checks against ledger.format.merkle -------------------------------------------------------------


def ledger_store(inputs: list[bytes]) -> dict[tuple[int, int], bytes]:
    created, _ = merkle.append_leaves(0, [], [merkle.leaf_hash(x) for x in inputs])
    return dict(created)


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None)
@given(leaf_lists)
def test_mth_agrees_with_ledger_root(inputs: list[bytes]) -> None:
    hashes = [merkle.leaf_hash(x) for x in inputs]
    assert specverify.mth(inputs) == merkle.root(hashes)
    assert specverify.mth(inputs) == merkle.root_at_sizes(hashes, [len(hashes)])[len(hashes)]


def agree(ledger_check: Any, spec_check: Any) -> bool:
    """Run both verifiers; they must both accept or both reject. True when they accepted."""
    results = []
    for check, errors in ((ledger_check, PacktraceError), (spec_check, SpecViolation)):
        try:
            check()
        except errors:
            results.append(False)
        else:
            results.append(True)
    assert results[0] == results[1], f"ledger {'accepts' if results[0] else 'rejects'}, spec disagrees"
    return results[0]


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None)
@given(leaf_lists, st.data())
def test_inclusion_proofs_agree(inputs: list[bytes], data: st.DataObject) -> None:
    size = len(inputs)
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.resolve_proof(merkle.inclusion_ranges(index, size), ledger_store(inputs))
    root = specverify.mth(inputs)
    leaf = merkle.leaf_hash(inputs[index])
    assert agree(
        lambda: merkle.verify_inclusion(leaf, index, size, proof, root),
        lambda: specverify.verify_inclusion(inputs[index], index, size, [h.hex() for h in proof], root),
    )
    # A perturbed claim: another index, size or leaf, or a proof with one hash changed.
    claim_index = data.draw(st.integers(-1, size + 1))
    claim_size = data.draw(st.integers(0, size + 2))
    claim_leaf = data.draw(st.sampled_from([leaf, merkle.leaf_hash(b"longer than any input")]))
    claimed_proof = list(proof)
    if data.draw(st.booleans()) and proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        claimed_proof[position] = hashlib.sha256(claimed_proof[position]).digest()
    accepted = agree(
        lambda: merkle.verify_inclusion(claim_leaf, claim_index, claim_size, claimed_proof, root),
        lambda: specverify.verify_inclusion(
            claim_leaf, claim_index, claim_size, [h.hex() for h in claimed_proof], root, hashed=True
        ),
    )
    # Equal leaves may prove each other's index, and a proof may fit another size with the same
    # shape; a foreign leaf or a changed hash never verifies.
    if (claim_leaf, claim_index, claim_size, claimed_proof) == (leaf, index, size, proof):
        assert accepted
    elif claim_leaf != leaf or claimed_proof != proof:
        assert not accepted


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None)
@given(leaf_lists, st.data())
def test_consistency_proofs_agree(inputs: list[bytes], data: st.DataObject) -> None:
    new = len(inputs)
    old = data.draw(st.integers(0, new))
    proof = merkle.resolve_proof(merkle.consistency_ranges(old, new), ledger_store(inputs))
    roots = [specverify.mth(inputs[:n]) for n in range(new + 1)]
    assert agree(
        lambda: merkle.verify_consistency(old, new, proof, roots[old], roots[new]),
        lambda: specverify.verify_consistency(old, new, [h.hex() for h in proof], roots[old], roots[new]),
    )
    claim_old = data.draw(st.integers(0, new))
    claim_new = data.draw(st.integers(claim_old, new))
    claimed_proof = list(proof)
    if data.draw(st.booleans()) and proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        claimed_proof[position] = hashlib.sha256(claimed_proof[position]).digest()
    accepted = agree(
        lambda: merkle.verify_consistency(claim_old, claim_new, claimed_proof, roots[claim_old], roots[claim_new]),
        lambda: specverify.verify_consistency(
            claim_old, claim_new, [h.hex() for h in claimed_proof], roots[claim_old], roots[claim_new]
        ),
    )
    if (claim_old, claim_new, claimed_proof) == (old, new, proof):
        assert accepted
    elif claimed_proof != proof:
        assert not accepted


# --- Cross-checks against ledger.format.note ---------------------------------------------------------------

note_texts = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters=[chr(c) for c in range(0x20) if c != 0x0A]),
    max_size=60,
).map(lambda text: text + "\n")
key_names = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters="+\x85"),
    min_size=1,
    max_size=20,
)
private_keys = st.binary(min_size=32, max_size=32).map(Ed25519PrivateKey.from_private_bytes)


@pytest.mark.fuzz
@settings(max_examples=200, deadline=None)
@given(note_texts, key_names, private_keys)
def test_notes_signed_by_ledger_verify_from_the_spec(text: str, name: str, key: Ed25519PrivateKey) -> None:
    vkey = note.verifier_key(name, key.public_key())
    parsed = specverify.parse_vkey(vkey)
    assert (parsed.name, parsed.key_id) == (name, note.key_id(name, key.public_key()))
    assert specverify.public_key_bytes(parsed.public_key) == specverify.public_key_bytes(key.public_key())
    signed = note.sign_note(text, name, key)
    assert specverify.verify_note(signed, vkey) == text == note.open_note(signed, vkey)


MUTATIONS = st.sampled_from(["\n", " ", "\u2014", "+", "=", "A", "/", "\t", "x", ""])


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None)
@given(note_texts, key_names, private_keys, st.data())
def test_mutated_notes_are_judged_alike(text: str, name: str, key: Ed25519PrivateKey, data: st.DataObject) -> None:
    vkey = note.verifier_key(name, key.public_key())
    signed = note.sign_note(text, name, key)
    position = data.draw(st.integers(0, len(signed) - 1))
    replace = data.draw(st.booleans())
    mutated = signed[:position] + data.draw(MUTATIONS) + signed[position + int(replace) :]
    accepted = agree(lambda: note.open_note(mutated, vkey), lambda: specverify.verify_note(mutated, vkey))
    if accepted:
        assert note.open_note(mutated, vkey) == specverify.verify_note(mutated, vkey) == text


checkpoint_lines = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters=[chr(c) for c in range(0x20)]),
    min_size=1,
    max_size=20,
)


@pytest.mark.fuzz
@settings(max_examples=200, deadline=None)
@given(checkpoint_lines, st.integers(0, 2**64), st.binary(min_size=32, max_size=32), st.lists(checkpoint_lines))
def test_checkpoints_written_by_ledger_parse_from_the_spec(
    origin: str, size: int, root: bytes, extensions: list[str]
) -> None:
    text = note.checkpoint_text(origin, size, root, extensions)
    assert specverify.parse_checkpoint(text) == (origin, size, root, tuple(extensions))
    assert note.parse_checkpoint(text) == note.Checkpoint(origin, size, root, tuple(extensions))


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["o", "5", "0", "05", "", " ", "AAAA", "=", "\t", "ext", "\u0665"]), max_size=6))
def test_checkpoint_parsers_agree_on_odd_texts(pieces: list[str]) -> None:
    root_line = base64.b64encode(bytes(32)).decode()
    for text in ("\n".join(pieces) + "\n", "o\n" + "".join(pieces) + "\n" + root_line + "\n"):
        if agree(lambda t=text: note.parse_checkpoint(t), lambda t=text: specverify.parse_checkpoint(t)):
            ours, theirs = note.parse_checkpoint(text), specverify.parse_checkpoint(text)
            assert (ours.origin, ours.size, ours.root, ours.extensions) == tuple(theirs)


# --- The registry in the log (docs/ledger-format.md §5), written from the text and cross-checked with events.registry


class SpecLog:
    """Entries made by hand from §2 and §5.1: pack and subject chains, signed and unsigned claims."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.heads: dict[str, tuple[str, int]] = {}
        self.private: dict[str, Ed25519PrivateKey] = {}
        self.second = 0

    def recorded_at(self) -> str:
        self.second += 1
        return f"2026-03-03T01:{self.second // 60:02d}:{self.second % 60:02d}.000000Z"

    def _entry(self, chain_member: str, chain: str, claim: dict[str, Any], sig: str | None) -> dict[str, Any]:
        prev, seq = self.heads.get(chain, (None, -1))
        entry: dict[str, Any] = {"v": 1, "index": len(self.entries), chain_member: chain, "seq": seq + 1,
                                 "prev": prev, "recorded_at": self.recorded_at(), "claim": claim}  # fmt: skip
        if sig is not None:
            entry["sig"] = sig
        self.heads[chain] = (specverify.entry_hash(entry), seq + 1)
        self.entries.append(entry)
        return entry

    def sign(self, key_id: str, claim: dict[str, Any]) -> str:
        return base64.b64encode(self.private[key_id].sign(rfc8785.dumps(claim))).decode()

    def registry(self, org: str, type: str, data: dict[str, Any], by: str = "admin", actor: str | None = None,
                 key: str | None = None) -> dict[str, Any]:  # fmt: skip
        claim: dict[str, Any] = {"v": 1, "id": str(uuid.uuid4()), "subject": f"org:{org}", "type": type,
                                 "at": "2026-03-03T01:00:00Z", "by": by, "data": data}  # fmt: skip
        if actor is not None:
            claim["actor"] = actor
        if key is not None:
            claim["key"] = key
        return self._entry("subject", claim["subject"], claim, self.sign(key, claim) if key else None)

    def org(self, org: str, roles: list[str], whitelisted: bool = False) -> None:
        data = {"name": org, "roles": roles, "manufacturer_codes": [], "region": None, "whitelisted": whitelisted}
        self.registry(org, "org_registered", data)

    def new_key(self, key_id: str) -> dict[str, Any]:
        self.private[key_id] = Ed25519PrivateKey.generate()
        public = specverify.public_key_bytes(self.private[key_id].public_key())
        return {"key_id": key_id, "public_key": base64.b64encode(public).decode(), "platform_held": False}

    def event(self, key_id: str, pack: str = "001PB12ABCDEFGG1F0000001", type: str = "produced") -> dict[str, Any]:
        claim = {"v": 1, "id": str(uuid.uuid4()), "pack": pack, "type": type, "at": "2026-03-02T01:00:00Z",
                 "actor": key_id.split("/")[0], "key": key_id, "data": {}}  # fmt: skip
        return self._entry("pack", pack, claim, self.sign(key_id, claim))


def province_log() -> SpecLog:
    """catl (key catl/1, first key by the administrator) and a regulator fj-miit (fj-miit/1)."""
    log = SpecLog()
    log.org("catl", ["manufacturer"])
    log.registry("catl", "key_added", log.new_key("catl/1"))
    log.org("fj-miit", ["regulator"])
    log.registry("fj-miit", "key_added", log.new_key("fj-miit/1"))
    log.org("gem", ["recycler"], whitelisted=True)
    return log


def ledger_judges(entries: list[dict[str, Any]]) -> None:
    """The reference rule (events.registry.Registry, as ledger/usecases/verify.py folds it) over the same
    entries; raises PacktraceError at the first refusal."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from events.errors import AuthorisationError
    from events.registry import Registry
    from events.timestamps import from_rfc3339

    registry = Registry()
    for entry in entries:
        claim_bytes = rfc8785.dumps(entry["claim"])
        recorded_at = from_rfc3339(entry["recorded_at"])

        def ok(public_key: bytes, sig: str = entry.get("sig", ""), data: bytes = claim_bytes) -> bool:
            try:
                Ed25519PublicKey.from_public_bytes(public_key).verify(base64.b64decode(sig), data)
            except (InvalidSignature, ValueError):
                return False
            return True

        if "subject" in entry:
            if ("sig" in entry) != (entry["claim"]["by"] == "signature"):  # checked at append, not by verify
                raise AuthorisationError("'sig' is present exactly when 'by' is 'signature'")
            registry.apply(entry["index"], recorded_at, entry["claim"], ok if "sig" in entry else None)
        else:
            refused = registry.key_refusal(entry["claim"]["key"], entry["claim"]["actor"], entry["index"], recorded_at)
            if refused is not None:
                raise AuthorisationError(refused[1], code=refused[0])
            if not ok(registry.keys[entry["claim"]["key"]].public_key):
                raise AuthorisationError("bad signature")


def judged_alike(log: SpecLog) -> bool:
    return agree(lambda: ledger_judges(log.entries), lambda: specverify.verify_entries(log.entries))


def second_key_signed_by_the_first(log: SpecLog) -> None:
    log.registry("catl", "key_added", log.new_key("catl/2"), by="signature", actor="catl", key="catl/1")
    log.event("catl/2")


def revoked_by_a_regulator_then_a_new_key_by_the_administrator(log: SpecLog) -> None:
    log.event("catl/1")
    log.registry("catl", "key_revoked", {"key_id": "catl/1"}, by="signature", actor="fj-miit", key="fj-miit/1")
    log.registry("catl", "key_added", log.new_key("catl/3"))
    log.event("catl/3", type="shipped")


def whitelist_changed_by_a_regulator(log: SpecLog) -> None:
    whitelist = {"listed": False, "effective": "2026-03-03", "reference": "MIIT 2026-12"}
    log.registry("gem", "org_changed", {"whitelist": whitelist}, by="signature", actor="fj-miit", key="fj-miit/1")


def key_used_before_the_entry_that_adds_it(log: SpecLog) -> None:
    data = log.new_key("catl/2")
    log.event("catl/2")
    log.registry("catl", "key_added", data, by="signature", actor="catl", key="catl/1")


def key_used_after_its_revocation(log: SpecLog) -> None:
    log.registry("catl", "key_revoked", {"key_id": "catl/1"})
    log.event("catl/1")


def second_key_on_a_token(log: SpecLog) -> None:
    log.registry("catl", "key_added", log.new_key("catl/2"), by="token", actor="catl")


def another_organisation_signs_a_key(log: SpecLog) -> None:
    log.registry("gem", "key_added", log.new_key("gem/1"))
    log.registry("catl", "key_added", log.new_key("catl/2"), by="signature", actor="gem", key="gem/1")


def regulator_signs_a_key(log: SpecLog) -> None:
    log.registry("catl", "key_added", log.new_key("catl/2"), by="signature", actor="fj-miit", key="fj-miit/1")


def regulator_changes_roles(log: SpecLog) -> None:
    log.registry("catl", "org_changed", {"roles": ["manufacturer", "recycler"]}, by="signature", actor="fj-miit",
                 key="fj-miit/1")  # fmt: skip


def signature_on_an_admin_claim(log: SpecLog) -> None:
    entry = log.registry("catl", "key_revoked", {"key_id": "catl/1"})
    entry["sig"] = log.sign("catl/1", entry["claim"])


def claim_signed_by_another_key_than_named(log: SpecLog) -> None:
    claim = {"v": 1, "id": str(uuid.uuid4()), "subject": "org:catl", "type": "key_revoked",
             "at": "2026-03-03T01:00:00Z", "by": "signature", "actor": "catl", "key": "catl/1",
             "data": {"key_id": "catl/1"}}  # fmt: skip
    log._entry("subject", "org:catl", claim, log.sign("fj-miit/1", claim))


def revoked_twice(log: SpecLog) -> None:
    log.registry("catl", "key_revoked", {"key_id": "catl/1"})
    log.registry("catl", "key_revoked", {"key_id": "catl/1"})


def first_key_on_its_own_token(log: SpecLog) -> None:
    log.registry("gem", "key_added", log.new_key("gem/1"), by="token", actor="gem")
    log.event("gem/1", type="recycled")


def key_of_another_organisation(log: SpecLog) -> None:
    log.registry("gem", "key_added", log.new_key("catl/9"))


REGISTRY_CASES: dict[str, tuple[Any, str | None]] = {
    "second key signed by the first": (second_key_signed_by_the_first, None),
    "revoked by a regulator, then a new key by the administrator": (
        revoked_by_a_regulator_then_a_new_key_by_the_administrator, None),
    "whitelist changed by a regulator": (whitelist_changed_by_a_regulator, None),
    "first key on its own token": (first_key_on_its_own_token, None),
    "key used before the entry that adds it": (key_used_before_the_entry_that_adds_it, "is not in the registry before"),
    "key used after its revocation": (key_used_after_its_revocation, "was revoked at entry 5, before entry 6"),
    "second key on a token": (second_key_on_a_token, "key_added may not be authorised by own token"),
    "another organisation signs a key": (another_organisation_signs_a_key, "'gem' signs a change of org:catl"),
    "a regulator signs a key": (regulator_signs_a_key, "key_added may not be authorised by regulator key"),
    "a regulator changes roles": (regulator_changes_roles, "org_changed may not be authorised by regulator key"),
    "a signature on an administrator's claim": (signature_on_an_admin_claim, "'sig' is present exactly when"),
    "claim signed by another key than it names": (claim_signed_by_another_key_than_named, "signature fails"),
    "revoked twice": (revoked_twice, "is revoked already"),
    "a key id of another organisation": (key_of_another_organisation, "is not 'gem/<name>'"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(REGISTRY_CASES))
def test_registry_entries_are_judged_from_the_spec_as_the_ledger_judges_them(name: str) -> None:
    make, refusal = REGISTRY_CASES[name]
    log = province_log()
    make(log)
    assert judged_alike(log) == (refusal is None)
    if refusal is not None:
        with pytest.raises(SpecViolation, match=re.escape(refusal)):
            specverify.verify_entries(log.entries)


def test_whitelist_status_follows_the_china_date_of_recorded_at() -> None:
    log = province_log()
    whitelist = {"listed": False, "effective": "2026-03-04", "reference": "MIIT 2026-12"}
    log.registry("gem", "org_changed", {"whitelist": whitelist})
    gem = specverify.verify_entries(log.entries).orgs["gem"]
    assert gem.whitelist == [(False, date(2026, 3, 4), "MIIT 2026-12", 5)]
    assert gem.listed_at(datetime(2026, 3, 3, 15, 59, 59, 999999, tzinfo=UTC))  # 23:59:59 in China
    assert not gem.listed_at(datetime(2026, 3, 3, 16, 0, tzinfo=UTC))  # 00:00 on 4 March in China


def test_a_log_opened_by_the_migration_judges_earlier_entries_by_time_windows() -> None:
    """§5.6: entries recorded before the migration verify by the migrated keys' time windows."""
    log = SpecLog()
    log.private["catl/1"] = Ed25519PrivateKey.generate()
    log.event("catl/1")  # index 0, recorded 01:00:01
    log.event("catl/1", type="shipped")  # index 1, recorded 01:00:02
    log.registry("catl", "org_registered", {"name": "catl", "roles": ["manufacturer"], "manufacturer_codes": [],
                                            "region": None, "whitelisted": False}, by="migration")  # fmt: skip
    public = base64.b64encode(specverify.public_key_bytes(log.private["catl/1"].public_key())).decode()
    migrated = {"key_id": "catl/1", "public_key": public, "platform_held": False,
                "valid_from": "2026-03-03T01:00:00.000000Z", "revoked_at": "2026-03-03T01:00:02.000000Z"}  # fmt: skip
    log.registry("catl", "key_added", migrated, by="migration")
    with pytest.raises(SpecViolation, match=r"entry 1: migrated key 'catl/1' was revoked at 2026-03-03T01:00:02"):
        specverify.verify_entries(log.entries)
    log.entries[-1]["claim"]["data"]["revoked_at"] = None  # the last entry: no `prev` names its hash
    registry = specverify.verify_entries(log.entries)
    assert registry.keys["catl/1"].migrated and registry.keys["catl/1"].added == 3


def test_chains_and_members_of_registry_entries_are_checked() -> None:
    log = province_log()
    broken = [dict(e) for e in log.entries]
    broken[3]["prev"] = broken[1]["prev"]
    with pytest.raises(SpecViolation, match="entry 3: org:fj-miit seq 1"):
        specverify.verify_entries(broken)
    with_pack = [dict(e) for e in log.entries]
    with_pack[0]["pack"] = "org:catl"
    with pytest.raises(SpecViolation, match="entry 0: members"):
        specverify.verify_entries(with_pack)
    not_a_subject = [dict(e) for e in log.entries]
    not_a_subject[0] = dict(not_a_subject[0], subject="catl", claim=dict(not_a_subject[0]["claim"], subject="catl"))
    with pytest.raises(SpecViolation, match="subject 'catl' is not a subject"):
        specverify.verify_entries(not_a_subject)


def test_a_real_log_with_registry_changes_verifies_from_the_spec(engine: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey as Private

    from events.registry import new_registry_claim
    from ledger.format.logkey import LogSigner
    from ledger.log import Ledger
    from ledger.usecases import orgkeys
    from ledger.usecases.access import ADMIN
    from tests.support import PRODUCED, Clock, code, province, public_b64

    signer = LogSigner("packtrace.test/log", Private.generate())
    lg = Ledger(engine, signer, clock=Clock())
    lg.init()
    try:
        actors = province(lg)
        maker = actors["catl"]
        lg.append([maker.claim(code(1), "produced", PRODUCED)])
        second = Private.generate()
        claim = new_registry_claim(subject="org:catl", type="key_added", by="signature", actor="catl", key="catl/1",
                                   data={"key_id": "catl/2", "public_key": public_b64(second), "platform_held": False},
                                   at=lg.clock())  # fmt: skip
        lg.append_registry([(claim, base64.b64encode(maker.private.sign(rfc8785.dumps(claim))).decode())])
        orgkeys.revoke_key(lg, ADMIN, "catl", "catl/1")
        orgkeys.update_org(lg, ADMIN, "gem-recycling", whitelisted=False, effective=date(2026, 3, 3),
                           reference="MIIT 2026-1")  # fmt: skip
        entries = [json.loads(e.body) for e in lg.entries(0, lg.size())]
        registry = specverify.verify_entries(entries)
        latest = lg.latest_checkpoint()
        assert latest is not None
    finally:
        lg.close()
    assert len(entries) == 22
    assert (registry.keys["catl/1"].revoked, registry.keys["catl/2"].added) == (20, 19)
    assert registry.keys["catl/2"].public_key == specverify.public_key_bytes(second.public_key())
    assert not registry.orgs["gem-recycling"].listed_at(datetime(2026, 3, 3, tzinfo=UTC))
    assert specverify.verify_checkpoint(latest.note, signer.verifier_key).root == specverify.root_of(entries)


def test_the_registry_entry_example_of_the_format_is_canonical() -> None:
    """docs/ledger-format.md §5.1's example, byte for byte: RFC 8785 reproduces it, and its claim is a
    well-formed key_added of the administrator's, without `sig`."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "ledger-format.md").read_text()
    [line] = [x for x in doc.splitlines() if x.startswith('{"claim":{"at":') and '"subject":"org:catl"' in x]
    entry = json.loads(line)
    assert specverify.entry_bytes(entry) == line.encode()
    assert "sig" not in entry and entry["claim"]["by"] == "admin"
    specverify.check_registry_claim(entry["claim"], entry["index"])


def test_head_commitments_and_calendar_imports_verify_from_the_spec_and_a_forged_root_is_named(engine: Any) -> None:
    """§6.4: the spec's own fold rebuilds every head commitment's root from the chains it replays; a
    calendar import (§5.2) changes nothing it holds. A commitment with another root is named."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey as Private

    from events.registry import new_registry_claim
    from ledger.format.logkey import LogSigner
    from ledger.log import Ledger
    from ledger.usecases import calendar as calendars
    from ledger.usecases.access import ADMIN
    from ledger.usecases.heads import commit_heads
    from tests.support import PRODUCED, Clock, code, province

    lg = Ledger(engine, LogSigner("packtrace.test/log", Private.generate()), clock=Clock())
    lg.init()
    try:
        actors = province(lg)
        lg.append([actors["catl"].claim(code(n), "produced", PRODUCED) for n in (1, 2)])
        made = commit_heads(lg)
        fixture = Path(__file__).resolve().parent / "data" / "calendar-2027-test.json"
        calendars.import_calendar(lg, ADMIN, fixture.read_bytes())
        lg.append([actors["catl"].claim(code(3), "produced", PRODUCED)])
        again = commit_heads(lg)
        entries = [json.loads(e.body) for e in lg.entries(0, lg.size())]
        registry = specverify.verify_entries(entries)
        forged = new_registry_claim(subject="heads", type="heads_committed", by="log", at=lg.clock(),
                                    data={"size": lg.size(), "count": 3, "root": "ab" * 32})  # fmt: skip
        lg.append_registry([(forged, None)])
        with_forged = [json.loads(e.body) for e in lg.entries(0, lg.size())]
    finally:
        lg.close()
    assert made is not None and again is not None and registry.heads_size == again.size
    assert {e["subject"] for e in entries if "subject" in e} >= {"heads", "calendar", "org:catl"}
    with pytest.raises(specverify.SpecViolation) as caught:
        specverify.verify_entries(with_forged)
    index = len(with_forged) - 1
    assert str(caught.value).startswith(
        f"entry {index}: head commitment root {'ab' * 32} over 3 chains, but the chains at size {index} give "
    )
