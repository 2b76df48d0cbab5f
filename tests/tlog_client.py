"""An independent tlog-tiles and tlog-proof client, written from the C2SP texts (c2sp.org/tlog-tiles,
c2sp.org/tlog-proof): it imports nothing from `ledger/`, only httpx, hashlib, base64 and `specverify` for
the signed note and checkpoint."""

from __future__ import annotations

import base64
import hashlib

import httpx

from tests import specverify

TILE = 256


def tile_index_path(n: int) -> str:
    """tlog-tiles: N in zero-padded 3-digit elements, all but the last starting with `x`."""
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        parts.insert(0, f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(parts)


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _mth(hashes: list[bytes]) -> bytes:
    """RFC 6962 MTH over already-hashed nodes: split at the largest power of two smaller than n."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return _node(_mth(hashes[:k]), _mth(hashes[k:]))


def fetch_tile(http: httpx.Client, level: int, n: int, width: int, headers: dict[str, str] | None = None) -> bytes:
    suffix = "" if width == TILE else f".p/{width}"
    response = http.get(f"tile/{level}/{tile_index_path(n)}{suffix}", headers=headers)
    assert response.status_code == 200, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/octet-stream"
    assert len(response.content) == 32 * width
    return response.content


def _perfect_subtrees(hashes: list[bytes]) -> list[bytes]:
    """MTHs of `hashes` split into perfect subtrees, largest first (how RFC 6962 splits a tree's right edge)."""
    out, start = [], 0
    while start < len(hashes):
        width = 1 << ((len(hashes) - start).bit_length() - 1)
        out.append(_mth(hashes[start : start + width]))
        start += width
    return out


def _split(raw: bytes) -> list[bytes]:
    return [raw[i : i + 32] for i in range(0, len(raw), 32)]


def root_from_tiles(http: httpx.Client, size: int) -> bytes:
    """The root of the tree of `size` leaves from hash tiles alone (`http` based at the log's prefix).

    Level l holds floor(size / 256^l) complete nodes of tree level 8·l; the partial tile of width
    floor(size / 256^l) mod 256 holds those no full tile summarises one level up. Read from the top level
    down, the partial tiles' hashes, split into perfect subtrees, are the tree's perfect subtrees left to
    right, and the root is their right fold."""
    if size == 0:
        return hashlib.sha256(b"").digest()
    top = 0
    while size // TILE ** (top + 1) > 0:
        top += 1
    pieces: list[bytes] = []
    for level in range(top, -1, -1):
        width = (size // TILE**level) % TILE
        if width:
            pieces += _perfect_subtrees(_split(fetch_tile(http, level, size // TILE ** (level + 1), width)))
    head = pieces[-1]
    for left in reversed(pieces[:-1]):
        head = _node(left, head)
    return head


def check_full_tiles(http: httpx.Client, size: int) -> int:
    """Every full tile's MTH is its hash in the tile one level up (full or partial); how many were checked."""
    checked, level = 0, 0
    while (full := size // TILE ** (level + 1)) > 0:
        above: dict[int, list[bytes]] = {}
        for n in range(full):
            if n // TILE not in above:
                width = min(TILE, full - (n // TILE) * TILE)
                above[n // TILE] = _split(fetch_tile(http, level + 1, n // TILE, width))
            assert _mth(_split(fetch_tile(http, level, n, TILE))) == above[n // TILE][n % TILE], (level, n)
            checked += 1
        level += 1
    return checked


def verified_root(http: httpx.Client, vkey: str) -> tuple[int, bytes]:
    """Fetch and verify the checkpoint; rebuild its root from the tiles; (size, root) once they agree."""
    response = http.get("checkpoint")
    assert response.status_code == 200
    _, size, root = specverify.verify_checkpoint(response.text, vkey)[:3]
    rebuilt = root_from_tiles(http, size)
    assert rebuilt == root, f"tiles give root {rebuilt.hex()}, checkpoint says {root.hex()}"
    return size, root


def verify_tlog_proof(text: str, entry: bytes, vkey: str) -> int:
    """tlog-proof@v1 (c2sp.org/tlog-proof): the header, `index N`, base64 hashes, a blank line, the checkpoint;
    `entry`'s leaf hash at that index with those hashes gives the signed checkpoint's root. The index."""
    head, _, checkpoint = text.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1", lines[0]
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        rest = rest[1:]
    assert rest[0].startswith("index "), rest[0]
    index = int(rest[0][len("index ") :])
    assert str(index) == rest[0][len("index ") :]
    proof = [base64.b64decode(line, validate=True) for line in rest[1:]]
    _, size, root = specverify.verify_checkpoint(checkpoint, vkey)[:3]
    leaf = hashlib.sha256(b"\x00" + entry).digest()  # RFC 6962 leaf hash
    specverify.verify_inclusion(leaf, index, size, [h.hex() for h in proof], root, hashed=True)
    return index
