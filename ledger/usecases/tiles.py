"""The log as C2SP tlog-tiles (hash tiles for anyone, entry bundles for regulators) and a pack's head
entry as a C2SP tlog-proof."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from events.errors import NotFoundError
from ledger.format import tiles, tlogproof
from ledger.format.tiles import Tile
from ledger.log import Ledger
from ledger.store import tiles as stored
from ledger.store.logreads import StoredCheckpoint
from ledger.usecases import cosigning, logreads
from ledger.usecases.access import Caller, require_authenticated, require_whole_platform
from ledger.usecases.packreads import checked_code, unknown_pack


@dataclass(frozen=True)
class TileBody:
    content: bytes
    public: bool  # hash tiles carry no data; entry bundles hold VINs


def _checkpoint(ledger: Ledger) -> StoredCheckpoint:
    checkpoint = ledger.latest_checkpoint()
    if checkpoint is None:
        raise NotFoundError("the log is empty: no checkpoint has been signed yet", code="empty_log")
    return checkpoint


def tile_content(ledger: Ledger, tile: Tile) -> bytes:
    """The tile's bytes, assuming the log holds it (callers check with `tiles.width_in`)."""
    with ledger.engine.connect() as conn:
        if tile.is_entries:
            start = tile.first
            return tiles.encode_bundle(stored.entry_run(conn, start, start + tile.width), start)
        return b"".join(stored.node_run(conn, tile.hash_level, tile.first, tile.width))


def read_tile(ledger: Ledger, caller: Caller, path: str) -> TileBody:
    """The tile at `path` (after `tile/`) of the tree of the latest checkpoint; entry bundles to regulators."""
    tile = tiles.parse_path(path)
    if tile.is_entries:
        require_whole_platform(caller, "read the log's entry bundles")
    size = _checkpoint(ledger).size
    if tiles.width_in(tile, size) < tile.width:
        raise NotFoundError(f"{tile.path} is beyond the latest checkpoint (tree size {size})", code="beyond_checkpoint")
    return TileBody(tile_content(ledger, tile), public=not tile.is_entries)


def export(ledger: Ledger, *, entries: bool, witnessed: bool = False) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every tile of the served checkpoint's tree (and its entry bundles if `entries`),
    then that checkpoint with its cosignatures, as `GET /v1/log/checkpoint` serves it (`witnessed`: while
    witnesses are configured): the static form of the tile API, for `packtrace export-tiles`."""
    checkpoint = logreads.served(ledger, witnessed=witnessed)
    for tile in tiles.tree_tiles(checkpoint.size):
        yield tile.path, tile_content(ledger, tile)
    if entries:
        for bundle in tiles.entry_bundles(checkpoint.size):
            yield bundle.path, tile_content(ledger, bundle)
    yield "checkpoint", checkpoint.note.encode("utf-8")  # last: a mirror never shows a checkpoint without its tiles


def pack_proof(ledger: Ledger, caller: Caller, code: str) -> str:
    """The C2SP tlog-proof of the pack's head entry under the newest checkpoint holding it that carries
    witnesses' cosignatures, else the latest (with whatever cosignatures it has). Tiered like the bundle:
    any organisation (a proof holds hashes only; every tier's bundle proves the head entry), not the public."""
    require_authenticated(caller, "fetching a pack's proof")
    code = checked_code(code)
    head = ledger.pack_head(code)
    if head is None:
        raise unknown_pack(code)
    checkpoint = cosigning.cosigned_checkpoint(ledger, head.last_index + 1)
    if checkpoint is None:  # the latest holds the head entry: it was read after it
        checkpoint = cosigning.with_cosignatures(ledger, _checkpoint(ledger))
    hashes = ledger.inclusion_proof(head.last_index, checkpoint.size)
    return tlogproof.encode(head.last_index, hashes, checkpoint.note)
