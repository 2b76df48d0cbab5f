"""The spec-text verifier against the vector files, and cross-checked with ledger.format.merkle and ledger.note."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from events.errors import PacktraceError
from ledger.format import merkle, note
from tests import specverify
from tests.specverify import SpecViolation

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"
VECTORS: dict[str, Any] = json.loads((TESTDATA / "rfc6962-vectors.json").read_text())
EXAMPLE: dict[str, str] = json.loads((TESTDATA / "c2sp-signed-note-example.json").read_text())
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
