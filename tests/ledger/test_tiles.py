"""ledger.format.tiles and ledger.format.tlogproof: paths, which tiles a tree has, entry bundles, and the
tlog-proof text, against the examples of the C2SP texts."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.errors import InputError, VerificationError
from ledger.format import merkle, note, tlogproof
from ledger.format.tiles import Tile, encode_bundle, entry_bundles, index_path, parse_path, tree_tiles, width_in


def test_index_paths_are_3_digit_segments_with_x_prefixes() -> None:
    # c2sp.org/tlog-tiles: "index 1234067 will be encoded as x001/x234/067"
    assert index_path(1234067) == "x001/x234/067"
    assert [index_path(n) for n in (0, 7, 999, 1000, 273)] == ["000", "007", "999", "x001/000", "273"]
    assert parse_path("0/x001/x234/067") == Tile(0, 1234067)
    assert Tile(2, 1234067, 17).path == "tile/2/x001/x234/067.p/17"
    assert Tile(None, 5, 112).path == "tile/entries/005.p/112"
    assert parse_path("entries/005.p/112") == Tile(None, 5, 112)


def test_a_tree_of_70000_has_the_tiles_the_spec_lists() -> None:
    # "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial
    # level 1 tile of width 17, and one partial level 2 tile of width 1"
    tiles = list(tree_tiles(70_000))
    assert tiles == [Tile(0, n) for n in range(273)] + [Tile(0, 273, 112), Tile(1, 0), Tile(1, 1, 17), Tile(2, 0, 1)]
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
    assert list(tree_tiles(256)) == [Tile(0, 0), Tile(1, 0, 1)]
    assert list(tree_tiles(0)) == []
    assert list(entry_bundles(257)) == [Tile(None, 0), Tile(None, 1, 1)]
    assert (width_in(Tile(1, 1, 17), 70_000), width_in(Tile(0, 274), 70_000)) == (17, 0)
    assert Tile(1, 1, 17).leaves() == (65_536 + 0, 65_536 + 17 * 256)


INDEX_PATH = "tile index must be 3-digit segments, all but the last starting with 'x' (e.g. x001/x234/067), found "


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("00/000", "tile level must be 'entries' or a decimal from 0 to 63 without leading zeroes, found '00'"),
        ("64/000", "tile level must be 'entries' or a decimal from 0 to 63 without leading zeroes, found '64'"),
        ("hashes/000", "tile level must be 'entries' or a decimal from 0 to 63 without leading zeroes, found 'hashes'"),
        ("0/000.p/0", "partial tile width must be a decimal from 1 to 255 without leading zeroes, found '0'"),
        ("0/000.p/256", "partial tile width must be a decimal from 1 to 255 without leading zeroes, found '256'"),
        ("0/000.p/012", "partial tile width must be a decimal from 1 to 255 without leading zeroes, found '012'"),
        (
            "0/1",
            INDEX_PATH + "'1'",
        ),
        (
            "0/001/234",
            INDEX_PATH + "'001/234'",
        ),
        ("0", INDEX_PATH + "''"),
        ("0/x000/001", "tile index 'x000/001' has leading zero segments; write it '001'"),
    ],
)
def test_bad_tile_paths_are_refused_naming_the_part(path: str, message: str) -> None:
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        parse_path(path)


def test_an_entry_bundle_is_uint16_length_prefixed_entries() -> None:
    assert encode_bundle([b"ab", b"", b"c" * 300]) == b"\x00\x02ab\x00\x00\x01\x2c" + b"c" * 300
    with pytest.raises(InputError, match=r"^entry 257 is 65536 bytes, more than an entry bundle can hold \(65535\)$"):
        encode_bundle([b"x", b"y" * 65536], 256)


def _proof_of(leaves: list[bytes], index: int) -> tuple[str, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    nodes = {(0, i): h for i, h in enumerate(hashes)}
    nodes.update(merkle.append_leaves(0, [], hashes)[0])
    path = merkle.resolve_proof(merkle.inclusion_ranges(index, len(leaves)), nodes)
    checkpoint = note.sign_note(
        note.checkpoint_text("example.com/log", len(leaves), merkle.root(hashes)), "example.com/log", key
    )
    return tlogproof.encode(index, path, checkpoint), key


def test_a_tlog_proof_has_the_spec_layout_and_verifies() -> None:
    leaves = [b"entry %d" % i for i in range(7)]
    text, key = _proof_of(leaves, 5)
    lines = text.split("\n")
    assert lines[:2] == ["c2sp.org/tlog-proof@v1", "index 5"]
    assert lines[5] == "" and lines[6:9] == ["example.com/log", "7", lines[8]]
    vkey = note.verifier_key("example.com/log", key.public_key())
    proof, checkpoint = tlogproof.verify(text, b"entry 5", vkey)
    assert (proof.index, checkpoint.size, len(proof.hashes)) == (5, 7, 3)
    with pytest.raises(VerificationError, match=r"^inclusion proof does not verify: computed root"):
        tlogproof.verify(text, b"entry 4", vkey)


def test_a_tlog_proof_with_one_hash_changed_is_refused() -> None:
    text, key = _proof_of([b"entry %d" % i for i in range(7)], 5)
    lines = text.split("\n")
    lines[3] = base64.b64encode(bytes(32)).decode()
    with pytest.raises(VerificationError, match=r"^inclusion proof does not verify: computed root"):
        tlogproof.verify("\n".join(lines), b"entry 5", note.verifier_key("example.com/log", key.public_key()))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "c2sp.org/tlog-proof@v2\nindex 1\n\nx",
            "malformed tlog-proof: the first line must be 'c2sp.org/tlog-proof@v1', found 'c2sp.org/tlog-proof@v2'",
        ),
        ("c2sp.org/tlog-proof@v1\nindex 01\n\nx", "malformed tlog-proof: expected 'index <decimal>', found 'index 01'"),
        ("c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx", "malformed tlog-proof: proof hash 0 is 3 bytes, expected 32"),
        (
            "c2sp.org/tlog-proof@v1\nindex 1\n%%%%\n\nx",
            "malformed tlog-proof: proof hash 0 is not valid base64: '%%%%'",
        ),
        ("c2sp.org/tlog-proof@v1\nindex 1\n", "malformed tlog-proof: no blank line before the checkpoint"),
    ],
)
def test_malformed_tlog_proofs_are_refused(text: str, message: str) -> None:
    with pytest.raises(VerificationError, match=f"^{re.escape(message)}$"):
        tlogproof.parse(text)


def test_extra_data_is_read_but_never_trusted() -> None:
    assert tlogproof.parse("c2sp.org/tlog-proof@v1\nextra aGk=\nindex 0\n\nx").extra == b"hi"


SPEC_EXAMPLE = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
"""


def test_the_example_of_the_c2sp_text_parses() -> None:
    # c2sp.org/tlog-proof's example (its signatures are elided, so only its layout can be checked)
    proof = tlogproof.parse(SPEC_EXAMPLE)
    assert (proof.index, len(proof.hashes)) == (73894, 5)
    assert proof.extra is not None and proof.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert proof.checkpoint.startswith("example.com/fancylog\n109482\n")
    assert tlogproof.is_tlog_proof(SPEC_EXAMPLE) and not tlogproof.is_tlog_proof('{"format":"packtrace-bundle/3"}')
