"""RFC 6962 / RFC 9162 §2.1 Merkle tree hashing, proofs from stored nodes, and proof verification.

Stored nodes are complete, aligned subtrees keyed by `(level, idx)`: the node at level L, index i
covers leaves [i·2^L, (i+1)·2^L); level 0 holds the leaf hashes. Every node of the RFC 6962 tree of
a given size is a right fold over a few such keys, so a proof reads O(log n) stored nodes.

Proof construction takes trusted arguments from the service layer and raises `InputError` for an
impossible request; verification takes untrusted proofs and raises `VerificationError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from events.errors import InputError, VerificationError

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Key = tuple[int, int]
Range = tuple[int, int]

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 ‖ data)."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _short(h: bytes) -> str:
    return h.hex()[:16] + "…"


# --- Tree heads -------------------------------------------------------------------------------------


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, level by level (an odd last node moves up unchanged, as in RFC 6962)."""
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    sha, prefix = _sha256, NODE_PREFIX
    while len(level) > 1:
        carry = [level[-1]] if len(level) % 2 else []
        pairs = zip(level[0::2], level[1::2], strict=False)  # the odd last node is carried instead
        level = [sha(prefix + left + right).digest() for left, right in pairs] + carry
    return level[0]


class HashArray(Sequence[bytes]):
    """32-byte hashes packed in one bytearray, for the leaves of a whole log held at once: a list of bytes
    objects costs ~70 bytes a hash (10 M leaves: 700 MB), this 32."""

    def __init__(self) -> None:
        self._data = bytearray()

    def append(self, h: bytes) -> None:
        if len(h) != HASH_SIZE:
            raise InputError(f"a hash is {HASH_SIZE} bytes, found {len(h)}")
        self._data += h

    def extend(self, hashes: Iterable[bytes]) -> None:
        for h in hashes:
            self.append(h)

    def __len__(self) -> int:
        return len(self._data) // HASH_SIZE

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"hash {i} of {len(self)}")
        return bytes(self._data[i * HASH_SIZE : (i + 1) * HASH_SIZE])

    def parents(self) -> HashArray:
        """The level above: node i is the hash of nodes 2i and 2i + 1 (an odd last node has no parent)."""
        up = HashArray()
        view, sha, width = memoryview(self._data), _sha256, 2 * HASH_SIZE
        for start in range(0, len(self) // 2 * width, width):
            up._data += sha(NODE_PREFIX + view[start : start + width]).digest()
        return up


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    """Tree head from the perfect subtrees of [0, size), left to right (a right fold)."""
    if not frontier:
        return EMPTY_ROOT
    head = frontier[-1]
    for left in reversed(frontier[:-1]):
        head = node_hash(left, head)
    return head


def root_at_sizes(leaf_hashes: Sequence[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """Tree heads at several sizes in one pass: O(n) hashing plus O(log n) per size."""
    wanted = sorted(set(sizes))
    if wanted and (wanted[0] < 0 or wanted[-1] > len(leaf_hashes)):
        raise InputError(f"sizes must lie in [0, {len(leaf_hashes)}], found {wanted[0]}..{wanted[-1]}")
    roots: dict[int, bytes] = {}
    frontier: list[bytes] = []
    size = 0
    for target in wanted:
        while size < target:
            _push(frontier, size, leaf_hashes[size], None)
            size += 1
        roots[target] = root_from_frontier(frontier)
    return roots


# --- Stored nodes -----------------------------------------------------------------------------------


def perfect_subtrees(start: int, end: int) -> list[Key]:
    """Keys of the perfect subtrees making up leaves [start, end), largest first (RFC 6962 split order).

    The range must be a node of some RFC 6962 tree: start a multiple of the largest power of two
    not above end - start. Every range in `inclusion_ranges` and `consistency_ranges` is one.
    """
    if not 0 <= start <= end:
        raise InputError(f"invalid leaf range [{start}, {end})")
    keys: list[Key] = []
    if start == end:
        return keys
    top = (end - start).bit_length() - 1
    if start % (1 << top):
        raise InputError(f"leaf range [{start}, {end}) is not a node of an RFC 6962 tree")
    for level in range(top, -1, -1):
        width = 1 << level
        if end - start >= width:
            keys.append((level, start >> level))
            start += width
    return keys


def range_hash(start: int, end: int, nodes: Mapping[Key, bytes]) -> bytes:
    """MTH of leaves [start, end) from stored nodes."""
    keys = perfect_subtrees(start, end)
    if not keys:
        return EMPTY_ROOT
    missing = [key for key in keys if key not in nodes]
    if missing:
        raise VerificationError(f"stored Merkle nodes missing for leaves [{start}, {end}): {missing}")
    head = nodes[keys[-1]]
    for key in reversed(keys[:-1]):
        head = node_hash(nodes[key], head)
    return head


def proof_node_keys(ranges: Iterable[Range]) -> set[Key]:
    """Every stored node key a proof over these ranges needs, for one query."""
    return {key for start, end in ranges for key in perfect_subtrees(start, end)}


def resolve_proof(ranges: Iterable[Range], nodes: Mapping[Key, bytes]) -> list[bytes]:
    """The proof hashes for these ranges, in order."""
    return [range_hash(start, end, nodes) for start, end in ranges]


# --- Proofs as leaf ranges (RFC 9162 §2.1.3.1 PATH, §2.1.4.1 SUBPROOF) ---------------------------------


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(index, D[size]) as leaf ranges, leaf's sibling first."""
    if not 0 <= index < size:
        raise InputError(f"leaf index {index} is out of range for tree size {size}")
    lo, hi = 0, size
    top_down: list[Range] = []
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo += k
    return top_down[::-1]


def consistency_ranges(old: int, new: int) -> list[Range]:
    """PROOF(old, D[new]) as leaf ranges; empty when old is 0 or equals new."""
    if not 0 <= old <= new:
        raise InputError(f"cannot prove consistency from size {old} to size {new}")
    if old in (0, new):
        return []
    lo, hi, whole_old_tree = 0, new, True
    top_down: list[Range] = []
    while hi != old:
        k = _split(hi - lo)
        if old - lo <= k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo += k
            whole_old_tree = False
    if not whole_old_tree:
        top_down.append((lo, hi))
    return top_down[::-1]


# --- Appending --------------------------------------------------------------------------------------


def frontier_keys(size: int) -> list[Key]:
    """Keys of the perfect subtrees making up [0, size), left to right."""
    if size < 0:
        raise InputError(f"invalid tree size {size}")
    return perfect_subtrees(0, size)


def _push(frontier: list[bytes], index: int, leaf: bytes, created: list[tuple[Key, bytes]] | None) -> None:
    """Append the leaf at `index` to the frontier, merging complete siblings."""
    node, level, idx = leaf, 0, index
    if created is not None:
        created.append(((0, index), leaf))
    while idx & 1:
        node = node_hash(frontier.pop(), node)
        level, idx = level + 1, idx >> 1
        if created is not None:
            created.append(((level, idx), node))
    frontier.append(node)


def append_leaves(
    size: int, frontier: list[bytes], leaves: Sequence[bytes]
) -> tuple[list[tuple[Key, bytes]], list[bytes]]:
    """Append leaf hashes to a tree of `size` leaves; return every new complete node and the new frontier."""
    if size < 0 or len(frontier) != size.bit_count():
        expected = max(size, 0).bit_count()
        raise InputError(f"a tree of size {size} has {expected} frontier nodes, found {len(frontier)}")
    new_frontier = list(frontier)
    created: list[tuple[Key, bytes]] = []
    for offset, leaf in enumerate(leaves):
        _push(new_frontier, size + offset, leaf, created)
    return created, new_frontier


# --- Verification (RFC 9162 §2.1.3.2, §2.1.4.2) ------------------------------------------------------


def _check_hashes(what: str, proof: Sequence[bytes], expected_len: int) -> None:
    if len(proof) != expected_len:
        raise VerificationError(f"{what} has the wrong length: expected {expected_len} hashes, found {len(proof)}")
    for position, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise VerificationError(f"{what} hash {position} is {len(h)} bytes, expected {HASH_SIZE}")


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that `leaf_hash` is leaf `index` of the tree of `size` leaves with head `root`."""
    # (1): the index must lie inside the tree, and the proof must have the length PATH gives.
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is out of range for tree size {size}")
    _check_hashes("inclusion proof", proof, len(inclusion_ranges(index, size)))
    # (2): fn is the leaf's index, sn the last index; r starts at the leaf hash.
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        # (3): an exhausted tree means the proof is too long.
        if sn == 0:
            raise VerificationError("inclusion proof is longer than the tree is deep")
        # (4): a right child, or a left child with no right sibling, takes p on its left.
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    # (5): the path must reach the top and the computed head must equal the root.
    if sn != 0:
        raise VerificationError(f"inclusion proof stops below the root (sn={sn})")
    if r != root:
        raise VerificationError(f"inclusion proof does not verify: computed root {_short(r)} expected {_short(root)}")


def verify_consistency(old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes) -> None:
    """Check that the tree of `new_size` leaves with head `new_root` extends the one at `old_size`."""
    # (1): sizes must be ordered; equal or empty trees need an empty proof.
    if not 0 <= old_size <= new_size:
        raise VerificationError(f"old size {old_size} is not in [0, new size {new_size}]")
    _check_hashes("consistency proof", proof, len(consistency_ranges(old_size, new_size)))
    if old_size == 0:
        if old_root != EMPTY_ROOT:
            raise VerificationError(f"old root of the empty tree is {_short(old_root)}, expected {_short(EMPTY_ROOT)}")
        return
    if old_size == new_size:
        if old_root != new_root:
            raise VerificationError(
                f"equal sizes {old_size} with different roots: {_short(old_root)} and {_short(new_root)}"
            )
        return
    # (2): when the old tree is a perfect subtree its head is the first node of the path.
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # (3): fn and sn index the last leaves; skip the levels where the old tree is a right child.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # (4): fr rebuilds the old head, sr the new head, from the same path.
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    # (5): both heads must match and the path must reach the top.
    if sn != 0:
        raise VerificationError(f"consistency proof stops below the root (sn={sn})")
    if fr != old_root:
        raise VerificationError(
            f"consistency proof does not verify: computed old root {_short(fr)} expected {_short(old_root)}"
        )
    if sr != new_root:
        raise VerificationError(
            f"consistency proof does not verify: computed new root {_short(sr)} expected {_short(new_root)}"
        )
