"""GET /v1/log/tile/… (C2SP tlog-tiles), GET /v1/packs/{code}/proof (C2SP tlog-proof), `packtrace
export-tiles` served by a plain static file server, and `verify-bundle` on a tlog-proof. The client that
rebuilds roots and checks proofs (tests/tlog_client.py) imports nothing from `ledger/`."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from api.cli import app as cli
from events.orgs import Role
from ledger.log import Ledger
from tests import specverify, tlog_client
from tests.api.conftest import ORIGIN, write_log_key
from tests.api.inprocess import in_process_client
from tests.api.parties import Party
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code
from tests.logsizes import grow


@contextmanager
def log_client(app: FastAPI) -> Iterator[httpx.Client]:
    """An httpx client based at the log's tlog-tiles prefix, /v1/log/."""
    with in_process_client(app) as http:
        http.base_url = httpx.URL("http://testserver/v1/log/")
        yield http


@contextmanager
def static_server(root: Path) -> Iterator[httpx.Client]:
    """Python's http.server serving `root` on 127.0.0.1, and a client based there."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}/") as http_client:
            yield http_client
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def cli_env(ledger: Ledger, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings for the CLI: this test's database and the key that signs its checkpoints."""
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_SEALING_KEY_FILE", str(tmp_path / "sealing.key"))
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", ORIGIN)
    write_log_key(ledger, tmp_path / "log.key")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _check_size(app: FastAPI, ledger: Ledger, size: int, tmp_path: Path) -> None:
    grow(ledger, size)
    vkey = ledger.signer.verifier_key
    with log_client(app) as http:
        assert tlog_client.verified_root(http, vkey)[0] == size
        full = tlog_client.check_full_tiles(http, size)
        if size >= 256:  # an earlier checkpoint's partial tile stays served once the tile is full (C2SP: MAY delete)
            assert http.get("tile/0/000.p/10").content == http.get("tile/0/000").content[: 32 * 10]
    assert run("export-tiles", str(tmp_path / "tiles"))[0] == 0
    with static_server(tmp_path / "tiles") as http:
        assert tlog_client.verified_root(http, vkey)[0] == size
        assert tlog_client.check_full_tiles(http, size) == full


@pytest.mark.parametrize("size", [1, 255, 256, 257])
def test_an_independent_client_rebuilds_the_root_from_tiles(
    app: FastAPI, ledger: Ledger, size: int, tmp_path: Path, cli_env: None
) -> None:
    _check_size(app, ledger, size, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("size", [65_536, 70_000])
def test_an_independent_client_rebuilds_the_root_of_a_large_log(
    app: FastAPI, ledger: Ledger, size: int, tmp_path: Path, cli_env: None
) -> None:
    _check_size(app, ledger, size, tmp_path)


@pytest.fixture
def three(client: httpx.Client, parties: dict[Role, Party], base: int) -> int:
    """Three `produced` entries after the parties' registry entries; the log's size then."""
    maker = parties[Role.MANUFACTURER]
    events = [maker.claim(code(i), "produced", PRODUCED) for i in range(3)]
    assert client.post("/v1/events/batch", json={"events": events}, headers=maker.auth).status_code == 201
    return base + 3


def test_hash_tiles_are_public_octets_cached_for_good(client: httpx.Client, three: int) -> None:
    response = client.get(f"/v1/log/tile/0/000.p/{three}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert len(response.content) == 32 * three
    assert client.get("/v1/log/tile/0/000.p/1").content == response.content[:32]  # an earlier tree's tile


INDEX_PATH = "tile index must be 3-digit segments, all but the last starting with 'x' (e.g. x001/x234/067), found "


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("0/000", "tile/0/000 is beyond the latest checkpoint (tree size {size})"),
        ("0/000.p/{over}", "tile/0/000.p/{over} is beyond the latest checkpoint (tree size {size})"),
        ("1/000.p/1", "tile/1/000.p/1 is beyond the latest checkpoint (tree size {size})"),
        ("0/001.p/1", "tile/0/001.p/1 is beyond the latest checkpoint (tree size {size})"),
    ],
)
def test_tiles_beyond_the_latest_checkpoint_are_not_found(
    client: httpx.Client, three: int, path: str, message: str
) -> None:
    response = client.get(f"/v1/log/tile/{path.format(over=three + 1)}")
    assert_problem(response, 404, "beyond_checkpoint", message.format(size=three, over=three + 1))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("0/000.p/0", "partial tile width must be a decimal from 1 to 255 without leading zeroes, found '0'"),
        ("0/000.p/256", "partial tile width must be a decimal from 1 to 255 without leading zeroes, found '256'"),
        ("01/000", "tile level must be 'entries' or a decimal from 0 to 63 without leading zeroes, found '01'"),
        (
            "0/0",
            INDEX_PATH + "'0'",
        ),
        (
            "0/001/000",
            INDEX_PATH + "'001/000'",
        ),
        ("0/x000/000", "tile index 'x000/000' has leading zero segments; write it '000'"),
    ],
)
def test_bad_tile_paths_are_refused_with_the_reason(client: httpx.Client, three: int, path: str, message: str) -> None:
    assert_problem(client.get(f"/v1/log/tile/{path}"), 422, "bad_tile_path", message)


def test_tiles_of_an_empty_log_are_not_found(client: httpx.Client) -> None:
    assert_problem(
        client.get("/v1/log/tile/0/000.p/1"), 404, "empty_log", "the log is empty: no checkpoint has been signed yet"
    )


def test_entry_bundles_are_for_regulators_and_hash_to_the_level_0_tile(
    client: httpx.Client, parties: dict[Role, Party], three: int
) -> None:
    path = f"/v1/log/tile/entries/000.p/{three}"
    assert_problem(client.get(path), 401, "unauthenticated", "read the log's entry bundles needs a bearer token")
    assert_problem(
        client.get(path, headers=parties[Role.RECYCLER].auth),
        403,
        "forbidden",
        "only a regulator may read the log's entry bundles; you are org 'recycler' (recycler)",
    )
    response = client.get(path, headers=parties[Role.REGULATOR].auth)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, max-age=31536000, immutable"
    # tlog-tiles: big-endian uint16 length-prefixed entries, each hashing to its level-0 tile hash
    bundle, entries = response.content, []
    while bundle:
        length = int.from_bytes(bundle[:2], "big")
        entries.append(bundle[2 : 2 + length])
        bundle = bundle[2 + length :]
    tile = client.get(f"/v1/log/tile/0/000.p/{three}").content
    assert [hashlib.sha256(b"\x00" + e).digest() for e in entries] == [
        tile[i : i + 32] for i in range(0, len(tile), 32)
    ]
    assert json.loads(entries[-1])["pack"] == code(2)


def test_export_tiles_writes_entry_bundles_only_when_asked(
    ledger: Ledger, three: int, tmp_path: Path, cli_env: None
) -> None:
    status, out, _ = run("export-tiles", str(tmp_path / "public"))
    assert (status, out) == (0, f"OK: checkpoint, 1 tiles written to {tmp_path / 'public'}\n")
    assert not (tmp_path / "public" / "tile" / "entries").exists()
    status, out, _ = run("export-tiles", str(tmp_path / "all"), "--entries")
    assert (status, out) == (0, f"OK: checkpoint, 1 tiles and 1 entry bundles written to {tmp_path / 'all'}\n")
    size = ledger.size()  # the CLI recorded the log's key as its first `log_key` entry: three + 1
    with static_server(tmp_path / "all") as http_client:
        served = http_client.get(f"tile/entries/000.p/{size}").content
    assert served == (tmp_path / "all" / "tile" / "entries" / "000.p" / str(size)).read_bytes()
    assert len(served) == sum(2 + len(e.body) for e in ledger.entries(0, size))
    assert (tmp_path / "all" / "checkpoint").read_text() == ledger.latest_checkpoint().note  # type: ignore[union-attr]


# --- tlog-proof ---------------------------------------------------------------------------------------


def _head_entry(ledger: Ledger, pack: str) -> dict[str, object]:
    """The pack's last entry, read from the ledger (a bundle request would append a head commitment)."""
    entry: dict[str, object] = json.loads(ledger.pack_entries(pack, 0)[-1].body)
    return entry


def test_a_pack_proof_verifies_with_independent_code(
    client: httpx.Client, parties: dict[Role, Party], three: int, ledger: Ledger
) -> None:
    regulator, recycler = parties[Role.REGULATOR], parties[Role.RECYCLER]
    response = client.get(f"/v1/packs/{code(1)}/proof", headers=regulator.auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    entry = specverify.entry_bytes(_head_entry(ledger, code(1)))
    assert tlog_client.verify_tlog_proof(response.text, entry, ledger.signer.verifier_key) == three - 2
    # tiered like the bundle: any organisation (a proof holds hashes only), not the public
    assert client.get(f"/v1/packs/{code(1)}/proof", headers=recycler.auth).text == response.text
    assert_problem(
        client.get(f"/v1/packs/{code(1)}/proof"), 401, "unauthenticated", "fetching a pack's proof needs a bearer token"
    )
    assert_problem(
        client.get(f"/v1/packs/{code(9)}/proof", headers=regulator.auth), 404, "unknown_pack", f"unknown pack {code(9)}"
    )


def test_a_pack_proof_with_one_hash_changed_is_refused(
    client: httpx.Client, parties: dict[Role, Party], three: int, ledger: Ledger
) -> None:
    regulator = parties[Role.REGULATOR]
    text = client.get(f"/v1/packs/{code(1)}/proof", headers=regulator.auth).text
    entry = specverify.entry_bytes(_head_entry(ledger, code(1)))
    lines = text.split("\n")
    assert lines[2] and lines[2] != "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    lines[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    with pytest.raises(specverify.SpecViolation, match=r"^inclusion proof gives root "):
        tlog_client.verify_tlog_proof("\n".join(lines), entry, ledger.signer.verifier_key)


def test_verify_bundle_checks_a_tlog_proof_with_its_entry(
    client: httpx.Client, parties: dict[Role, Party], three: int, ledger: Ledger, tmp_path: Path
) -> None:
    regulator = parties[Role.REGULATOR]
    proof_file, entry_file = tmp_path / "head.tlog-proof", tmp_path / "entry.json"
    proof_file.write_text(client.get(f"/v1/packs/{code(1)}/proof", headers=regulator.auth).text)
    entry = _head_entry(ledger, code(1))
    entry_file.write_text(json.dumps(entry, indent=2))
    vkey = ledger.signer.verifier_key
    checkpoint = ledger.latest_checkpoint()
    assert checkpoint is not None
    leaf = hashlib.sha256(b"\x00" + specverify.entry_bytes(entry)).hexdigest()

    status, out, _ = run("verify-bundle", str(proof_file), "--log-key", vkey, "--entry", str(entry_file))
    assert (status, out) == (
        0,
        f"OK: tlog-proof: the entry of entry.json (leaf hash {leaf}) is entry {three - 2} of {ORIGIN} at tree size "
        f"{three}, root {checkpoint.root.hex()}, signed by the log key; it proves this entry's place in the log, "
        "not the pack's other entries\n",
    )
    status, _, err = run("verify-bundle", str(proof_file), "--log-key", vkey)
    assert status == 1
    assert err == "FAILED head.tlog-proof is a tlog-proof: give the entry it proves with --entry FILE (a JSON object)\n"
    entry_file.write_text(json.dumps(_head_entry(ledger, code(0))))
    status, _, err = run("verify-bundle", str(proof_file), "--log-key", vkey, "--entry", str(entry_file))
    assert status == 1 and err.startswith("FAILED inclusion proof does not verify: computed root ")


def test_the_proof_follows_the_head_and_an_old_proof_still_verifies(
    client: httpx.Client, parties: dict[Role, Party], three: int, ledger: Ledger
) -> None:
    regulator, maker = parties[Role.REGULATOR], parties[Role.MANUFACTURER]
    old = client.get(f"/v1/packs/{code(1)}/proof", headers=regulator.auth).text
    old_entry = specverify.entry_bytes(_head_entry(ledger, code(1)))
    shipped = maker.claim(code(1), "shipped", {"to": "collector"})
    assert client.post("/v1/events", json=shipped, headers=maker.auth).status_code == 201
    new = client.get(f"/v1/packs/{code(1)}/proof", headers=regulator.auth).text
    new_entry = specverify.entry_bytes(_head_entry(ledger, code(1)))
    vkey = ledger.signer.verifier_key
    assert tlog_client.verify_tlog_proof(new, new_entry, vkey) == three
    assert tlog_client.verify_tlog_proof(old, old_entry, vkey) == three - 2
    with pytest.raises(specverify.SpecViolation):
        tlog_client.verify_tlog_proof(new, old_entry, vkey)
