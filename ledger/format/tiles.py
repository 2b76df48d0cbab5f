"""C2SP tlog-tiles: tile coordinates, their paths, which tiles a tree has, and entry bundles.

A tile at level L, index N holds the hashes of tree level 8·L for leaves [N·256^(L+1), (N+1)·256^(L+1)):
hash i is MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L]), 256 of them when full; the rightmost tile
of a level may be partial, width W = floor(size / 256^L) mod 256 (1…255), at `<L>/<N>.p/<W>`. N is
written in 3-digit segments, all but the last prefixed `x` (1234067 → `x001/x234/067`). An entry bundle
(`entries/<N>[.p/<W>]`) holds the level-0 tile's entries, each as a big-endian uint16 length and the
entry's bytes. Parsing untrusted paths raises `InputError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from events.errors import InputError

HEIGHT = 8
WIDTH = 1 << HEIGHT  # 256 hashes in a full tile
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF  # a uint16 length prefix
ENTRIES = "entries"

_LEVEL = re.compile(r"0|[1-9][0-9]*")
_WIDTH = re.compile(r"[1-9][0-9]*")
_INNER = re.compile(r"x[0-9]{3}")
_LAST = re.compile(r"[0-9]{3}")


@dataclass(frozen=True)
class Tile:
    """A hash tile (`level` ≥ 0) or an entry bundle (`level` None), `width` hashes or entries wide."""

    level: int | None
    index: int
    width: int = WIDTH

    @property
    def is_entries(self) -> bool:
        return self.level is None

    @property
    def is_partial(self) -> bool:
        return self.width < WIDTH

    @property
    def hash_level(self) -> int:
        """The tree level its hashes are at (8·L; 0 for an entry bundle's leaves)."""
        return HEIGHT * (self.level or 0)

    @property
    def first(self) -> int:
        """Index, at `hash_level`, of its first hash."""
        return self.index * WIDTH

    def leaves(self) -> tuple[int, int]:
        """The leaf range its hashes (or entries) cover."""
        span = 1 << self.hash_level
        return self.first * span, (self.first + self.width) * span

    @property
    def path(self) -> str:
        """`tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`."""
        head = ENTRIES if self.level is None else str(self.level)
        tail = f".p/{self.width}" if self.is_partial else ""
        return f"tile/{head}/{index_path(self.index)}{tail}"


def index_path(index: int) -> str:
    """N as 3-digit segments, all but the last prefixed `x`: 1234067 → `x001/x234/067`."""
    if index < 0:
        raise InputError(f"a tile index is not negative, found {index}")
    segments = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        segments.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(segments))


def parse_path(path: str) -> Tile:
    """The tile named by `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]` (the part after `tile/`)."""
    head, _, rest = path.partition("/")
    if head == ENTRIES:
        level = None
    elif _LEVEL.fullmatch(head) and int(head) <= MAX_LEVEL:
        level = int(head)
    else:
        raise InputError(
            f"tile level must be 'entries' or a decimal from 0 to {MAX_LEVEL} without leading zeroes, found {head!r}",
            code="bad_tile_path",
        )
    segments = rest.split("/") if rest else []
    width = WIDTH
    if len(segments) >= 2 and segments[-2].endswith(".p"):
        if not _WIDTH.fullmatch(segments[-1]) or int(segments[-1]) >= WIDTH:
            raise InputError(
                f"partial tile width must be a decimal from 1 to {WIDTH - 1} without leading zeroes, "
                f"found {segments[-1]!r}",
                code="bad_tile_path",
            )
        width = int(segments[-1])
        segments = [*segments[:-2], segments[-2][: -len(".p")]]
    if not segments or not _LAST.fullmatch(segments[-1]) or not all(_INNER.fullmatch(s) for s in segments[:-1]):
        raise InputError(
            f"tile index must be 3-digit segments, all but the last starting with 'x' (e.g. x001/x234/067), "
            f"found {'/'.join(segments)!r}",
            code="bad_tile_path",
        )
    index = int("".join(s.lstrip("x") for s in segments))
    if index_path(index) != "/".join(segments):
        raise InputError(
            f"tile index {'/'.join(segments)!r} has leading zero segments; write it {index_path(index)!r}",
            code="bad_tile_path",
        )
    return Tile(level, index, width)


def width_in(tile: Tile, size: int) -> int:
    """How many hashes of `tile`'s position a tree of `size` leaves has complete (0…256)."""
    complete = size >> tile.hash_level  # complete nodes at that level
    return max(0, min(WIDTH, complete - tile.first))


def tree_tiles(size: int) -> Iterator[Tile]:
    """Every hash tile of a tree of `size` leaves, level by level: the full ones, then the partial one if any."""
    if size < 0:
        raise InputError(f"invalid tree size {size}")
    level = 0
    while (nodes := size >> (HEIGHT * level)) > 0:
        for index in range(nodes // WIDTH):
            yield Tile(level, index)
        if nodes % WIDTH:
            yield Tile(level, nodes // WIDTH, nodes % WIDTH)
        level += 1


def entry_bundles(size: int) -> Iterator[Tile]:
    """Every entry bundle of a tree of `size` leaves (one per level-0 tile)."""
    for tile in tree_tiles(size):
        if tile.level == 0:
            yield Tile(None, tile.index, tile.width)


def encode_bundle(entries: Sequence[bytes], first: int = 0) -> bytes:
    """Entries (of indices `first`, `first` + 1, …) as a tlog-tiles entry bundle: each a big-endian uint16
    length, then its bytes."""
    out = bytearray()
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise InputError(
                f"entry {first + position} is {len(entry)} bytes, "
                f"more than an entry bundle can hold ({MAX_ENTRY_SIZE})",
                code="entry_too_large",
            )
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)
