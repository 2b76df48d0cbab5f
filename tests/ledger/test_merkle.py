"""ledger.format.merkle against the RFC 6962 vectors, a naive reference, and every proof up to size 64."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest

from events.errors import InputError, VerificationError
from ledger.format import merkle
from tests import vectors

VECTORS: dict[str, Any] = vectors.load("rfc6962-vectors.json")
MAX_SIZE = 64

Nodes = dict[tuple[int, int], bytes]


def naive_mth(hashes: list[bytes]) -> bytes:
    """RFC 6962 MTH over leaf hashes, by the recursive definition."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(hashes[:k]) + naive_mth(hashes[k:])).digest()


def leaves_of(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def grown_store(leaves: list[bytes]) -> Nodes:
    """Nodes as a store keeps them: appended in uneven batches."""
    nodes: Nodes = {}
    frontier: list[bytes] = []
    size, batch = 0, 1
    while size < len(leaves):
        created, frontier = merkle.append_leaves(size, frontier, leaves[size : size + batch])
        for key, value in created:
            assert key not in nodes, f"node {key} created twice"
            nodes[key] = value
        size = min(size + batch, len(leaves))
        batch = batch % 5 + 1
    return nodes


def proof_from_store(ranges: list[tuple[int, int]], store: Nodes) -> list[bytes]:
    """What a store does: fetch exactly the needed keys in one query, then resolve."""
    keys = merkle.proof_node_keys(ranges)
    return merkle.resolve_proof(ranges, {key: store[key] for key in keys})


LEAVES = leaves_of(MAX_SIZE)
STORE = grown_store(LEAVES)
ROOTS = [naive_mth(LEAVES[:n]) for n in range(MAX_SIZE + 1)]
VECTOR_LEAVES = [merkle.leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaf_inputs_hex"]]
VECTOR_STORE = grown_store(VECTOR_LEAVES)


def flipped(proof: list[bytes], position: int) -> list[bytes]:
    changed = list(proof)
    changed[position] = bytes([changed[position][0] ^ 1]) + changed[position][1:]
    return changed


# --- Hashing and roots ------------------------------------------------------------------------------


def test_hash_prefixes_and_empty_root() -> None:
    assert merkle.LEAF_PREFIX == b"\x00" and merkle.NODE_PREFIX == b"\x01"
    assert merkle.leaf_hash(b"").hex() == VECTORS["roots_by_size"][1]
    assert merkle.EMPTY_ROOT.hex() == VECTORS["roots_by_size"][0]
    assert merkle.node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


@pytest.mark.parametrize("size", range(len(VECTORS["roots_by_size"])))
def test_root_matches_vector(size: int) -> None:
    expected = VECTORS["roots_by_size"][size]
    assert merkle.root(VECTOR_LEAVES[:size]).hex() == expected
    assert merkle.range_hash(0, size, VECTOR_STORE).hex() == expected


def test_root_equals_the_recursive_definition_for_every_size() -> None:
    for n in range(MAX_SIZE + 1):
        assert merkle.root(LEAVES[:n]) == ROOTS[n], n
        assert merkle.root_from_frontier([STORE[key] for key in merkle.frontier_keys(n)]) == ROOTS[n], n


def test_root_at_sizes_equals_root_of_prefixes() -> None:
    assert merkle.root_at_sizes(LEAVES, range(MAX_SIZE + 1)) == dict(enumerate(ROOTS))
    rng = random.Random(7)
    leaves = leaves_of(1000)
    sizes = rng.sample(range(1001), 40)
    assert merkle.root_at_sizes(leaves, sizes) == {n: merkle.root(leaves[:n]) for n in sizes}


def test_root_at_sizes_refuses_a_size_beyond_the_leaves() -> None:
    with pytest.raises(InputError, match=r"sizes must lie in \[0, 3\], found 1..4"):
        merkle.root_at_sizes(LEAVES[:3], [1, 4])


# --- Stored nodes and appending ---------------------------------------------------------------------


def test_append_leaves_creates_every_complete_node_and_only_those() -> None:
    expected = {
        (level, idx): naive_mth(LEAVES[idx << level : (idx + 1) << level])
        for level in range(7)
        for idx in range(MAX_SIZE >> level)
    }
    assert grown_store(LEAVES) == expected


def test_append_leaves_returns_the_new_nodes_in_creation_order() -> None:
    created, frontier = merkle.append_leaves(3, [STORE[(1, 0)], STORE[(0, 2)]], LEAVES[3:5])
    assert [key for key, _ in created] == [(0, 3), (1, 1), (2, 0), (0, 4)]
    assert created == [(key, STORE[key]) for key, _ in created]
    assert frontier == [STORE[(2, 0)], STORE[(0, 4)]]
    assert merkle.root_from_frontier(frontier) == ROOTS[5]


def test_append_leaves_refuses_a_frontier_of_the_wrong_size() -> None:
    with pytest.raises(InputError, match="a tree of size 3 has 2 frontier nodes, found 1"):
        merkle.append_leaves(3, [STORE[(1, 0)]], LEAVES[3:4])


def test_frontier_keys() -> None:
    assert merkle.frontier_keys(0) == []
    assert merkle.frontier_keys(1) == [(0, 0)]
    assert merkle.frontier_keys(13) == [(3, 0), (2, 2), (0, 12)]
    assert merkle.frontier_keys(64) == [(6, 0)]


@pytest.mark.parametrize(
    ("start", "end", "keys"),
    [
        (0, 7, [(2, 0), (1, 2), (0, 6)]),
        (4, 6, [(1, 2)]),
        (8, 13, [(2, 2), (0, 12)]),
        (5, 6, [(0, 5)]),
        (3, 3, []),
    ],
)
def test_perfect_subtrees(start: int, end: int, keys: list[tuple[int, int]]) -> None:
    assert merkle.perfect_subtrees(start, end) == keys
    assert merkle.range_hash(start, end, STORE) == (naive_mth(LEAVES[start:end]) if keys else merkle.EMPTY_ROOT)


@pytest.mark.parametrize(("start", "end"), [(1, 3), (2, 6), (6, 10)])
def test_perfect_subtrees_refuses_a_range_that_is_not_a_tree_node(start: int, end: int) -> None:
    with pytest.raises(InputError, match=rf"leaf range \[{start}, {end}\) is not a node"):
        merkle.perfect_subtrees(start, end)


def test_range_hash_names_missing_stored_nodes() -> None:
    nodes = {key: STORE[key] for key in [(2, 0), (0, 6)]}
    with pytest.raises(VerificationError, match=r"missing for leaves \[0, 7\): \[\(1, 2\)\]"):
        merkle.range_hash(0, 7, nodes)


@pytest.mark.parametrize("size", [2**20 + 12345, 10**6, 2**31 - 1, 2**40 + 3])
def test_proofs_read_logarithmically_many_nodes(size: int) -> None:
    bound = 2 * size.bit_length()
    for index in (0, size // 3, size - 1):
        assert len(merkle.proof_node_keys(merkle.inclusion_ranges(index, size))) <= bound
    for old in (1, size // 3, size - 1):
        assert len(merkle.proof_node_keys(merkle.consistency_ranges(old, size))) <= bound


# --- Proof ranges -----------------------------------------------------------------------------------


def test_inclusion_and_consistency_ranges_follow_rfc9162_examples() -> None:
    # RFC 9162 §2.1.5: the path of d0 in a 7-leaf tree is [b, h, l]; consistency 3 -> 7 is [c, d, g, l].
    assert merkle.inclusion_ranges(0, 7) == [(1, 2), (2, 4), (4, 7)]
    assert merkle.inclusion_ranges(6, 7) == [(4, 6), (0, 4)]
    assert merkle.consistency_ranges(3, 7) == [(2, 3), (3, 4), (0, 2), (4, 7)]
    assert merkle.consistency_ranges(4, 7) == [(4, 7)]
    assert merkle.consistency_ranges(6, 7) == [(4, 6), (6, 7), (0, 4)]
    assert merkle.consistency_ranges(0, 7) == merkle.consistency_ranges(7, 7) == []


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (-1, 4)])
def test_inclusion_ranges_refuse_an_index_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(InputError, match=f"leaf index {index} is out of range for tree size {size}"):
        merkle.inclusion_ranges(index, size)


def test_consistency_ranges_refuse_a_shrinking_tree() -> None:
    with pytest.raises(InputError, match="cannot prove consistency from size 5 to size 4"):
        merkle.consistency_ranges(5, 4)


# --- The vectors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["inclusion_proofs"], ids=lambda c: f"{c['index']}-of-{c['tree_size']}")
def test_vector_inclusion_proof(case: dict[str, Any]) -> None:
    index, size = case["index"], case["tree_size"]
    proof = [bytes.fromhex(h) for h in case["hashes"]]
    assert VECTOR_LEAVES[index].hex() == case["leaf_hash"]
    assert proof_from_store(merkle.inclusion_ranges(index, size), VECTOR_STORE) == proof
    merkle.verify_inclusion(bytes.fromhex(case["leaf_hash"]), index, size, proof, bytes.fromhex(case["root"]))


@pytest.mark.parametrize("case", VECTORS["consistency_proofs"], ids=lambda c: f"{c['from']}-to-{c['to']}")
def test_vector_consistency_proof(case: dict[str, Any]) -> None:
    old, new = case["from"], case["to"]
    proof = [bytes.fromhex(h) for h in case["hashes"]]
    assert proof_from_store(merkle.consistency_ranges(old, new), VECTOR_STORE) == proof
    merkle.verify_consistency(old, new, proof, bytes.fromhex(case["old_root"]), bytes.fromhex(case["new_root"]))


# --- Every proof up to size 64, and every single-hash tampering --------------------------------------


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_every_inclusion_proof_round_trips_and_rejects_tampering(size: int) -> None:
    for index in range(size):
        proof = proof_from_store(merkle.inclusion_ranges(index, size), STORE)
        merkle.verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])
        for position in range(len(proof)):
            with pytest.raises(VerificationError, match="inclusion proof does not verify"):
                merkle.verify_inclusion(LEAVES[index], index, size, flipped(proof, position), ROOTS[size])
        other = (index + 1) % size
        if other != index:
            with pytest.raises(VerificationError):
                merkle.verify_inclusion(LEAVES[other], index, size, proof, ROOTS[size])
            with pytest.raises(VerificationError):
                merkle.verify_inclusion(LEAVES[index], other, size, proof, ROOTS[size])
        if size < MAX_SIZE:
            with pytest.raises(VerificationError):
                merkle.verify_inclusion(LEAVES[index], index, size + 1, proof, ROOTS[size + 1])


@pytest.mark.parametrize("new", range(1, MAX_SIZE + 1))
def test_every_consistency_proof_round_trips_and_rejects_tampering(new: int) -> None:
    for old in range(new + 1):
        proof = proof_from_store(merkle.consistency_ranges(old, new), STORE)
        merkle.verify_consistency(old, new, proof, ROOTS[old], ROOTS[new])
        for position in range(len(proof)):
            with pytest.raises(VerificationError, match="consistency proof does not verify"):
                merkle.verify_consistency(old, new, flipped(proof, position), ROOTS[old], ROOTS[new])
        if 0 < old < new:
            # A perfect old tree's root starts the path (RFC 9162), so a wrong one spoils the new root.
            which = "new" if old & (old - 1) == 0 else "old"
            with pytest.raises(VerificationError, match=f"computed {which} root"):
                merkle.verify_consistency(old, new, proof, ROOTS[old - 1], ROOTS[new])
            with pytest.raises(VerificationError, match="computed new root"):
                merkle.verify_consistency(old, new, proof, ROOTS[old], ROOTS[new - 1])
        if old + 1 < new:
            with pytest.raises(VerificationError):
                merkle.verify_consistency(old + 1, new, proof, ROOTS[old + 1], ROOTS[new])


# --- Verification messages --------------------------------------------------------------------------


def test_inclusion_failure_names_computed_and_expected_roots() -> None:
    proof = proof_from_store(merkle.inclusion_ranges(2, 5), STORE)
    computed, expected = ROOTS[5].hex()[:16], ROOTS[4].hex()[:16]
    message = f"inclusion proof does not verify: computed root {computed}… expected {expected}…"
    with pytest.raises(VerificationError, match=message):
        merkle.verify_inclusion(LEAVES[2], 2, 5, proof, ROOTS[4])


@pytest.mark.parametrize(("index", "size"), [(5, 5), (-1, 5), (0, 0)])
def test_inclusion_index_out_of_range(index: int, size: int) -> None:
    with pytest.raises(VerificationError, match=f"leaf index {index} is out of range for tree size {size}"):
        merkle.verify_inclusion(LEAVES[0], index, size, [], ROOTS[1])


def test_inclusion_proof_of_the_wrong_length() -> None:
    proof = proof_from_store(merkle.inclusion_ranges(2, 5), STORE)
    with pytest.raises(VerificationError, match="wrong length: expected 3 hashes, found 4"):
        merkle.verify_inclusion(LEAVES[2], 2, 5, [*proof, proof[0]], ROOTS[5])
    with pytest.raises(VerificationError, match="wrong length: expected 3 hashes, found 2"):
        merkle.verify_inclusion(LEAVES[2], 2, 5, proof[:2], ROOTS[5])


def test_inclusion_proof_hash_of_the_wrong_size() -> None:
    proof = proof_from_store(merkle.inclusion_ranges(2, 5), STORE)
    with pytest.raises(VerificationError, match="inclusion proof hash 1 is 31 bytes, expected 32"):
        merkle.verify_inclusion(LEAVES[2], 2, 5, [proof[0], proof[1][:31], proof[2]], ROOTS[5])


def test_consistency_sizes_out_of_order() -> None:
    with pytest.raises(VerificationError, match=r"old size 6 is not in \[0, new size 5\]"):
        merkle.verify_consistency(6, 5, [], ROOTS[6], ROOTS[5])


def test_consistency_proof_of_the_wrong_length() -> None:
    proof = proof_from_store(merkle.consistency_ranges(3, 7), STORE)
    with pytest.raises(VerificationError, match="consistency proof has the wrong length: expected 4 hashes, found 3"):
        merkle.verify_consistency(3, 7, proof[:3], ROOTS[3], ROOTS[7])
    with pytest.raises(VerificationError, match="expected 0 hashes, found 1"):
        merkle.verify_consistency(7, 7, proof[:1], ROOTS[7], ROOTS[7])


def test_consistency_of_equal_sizes_needs_equal_roots() -> None:
    with pytest.raises(VerificationError, match="equal sizes 7 with different roots"):
        merkle.verify_consistency(7, 7, [], ROOTS[7], ROOTS[6])


def test_consistency_from_the_empty_tree_needs_the_empty_root() -> None:
    merkle.verify_consistency(0, 9, [], merkle.EMPTY_ROOT, ROOTS[9])
    with pytest.raises(VerificationError, match=f"old root of the empty tree is {ROOTS[1].hex()[:16]}"):
        merkle.verify_consistency(0, 9, [], ROOTS[1], ROOTS[9])


def test_a_hash_array_holds_the_hashes_it_was_given_and_their_parents() -> None:
    """The full verify keeps a whole log's leaves in a HashArray (32 bytes a leaf) and builds the stored
    nodes' levels from it: indexing and each level must be what the list of hashes gives."""
    hashes = [hashlib.sha256(bytes([i])).digest() for i in range(7)]
    packed = merkle.HashArray()
    packed.extend(hashes)
    assert len(packed) == 7 and list(packed) == hashes
    assert packed[-1] == hashes[6] and packed[2:5] == hashes[2:5]
    with pytest.raises(IndexError):
        packed[7]
    level = packed.parents()
    assert list(level) == [merkle.node_hash(hashes[i], hashes[i + 1]) for i in (0, 2, 4)]  # the 7th has no parent
    assert list(level.parents()) == [merkle.node_hash(level[0], level[1])]
    assert len(level.parents().parents()) == 0
    with pytest.raises(InputError, match="a hash is 32 bytes, found 31"):
        packed.append(b"x" * 31)
