"""Steps of features/tiles.feature: tlog-tiles behind a static server, a pack's tlog-proof, head commitments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_bdd import parsers, scenarios, then, when
from typer.testing import CliRunner

from api.cli import app
from ledger.log import Ledger
from ledger.usecases import heads, tiles
from tests import tlog_client
from tests.api.test_tiles import static_server
from tests.support import code, regulator_caller

scenarios("tiles.feature")


@when("the operator exports the log as tiles to a directory", target_fixture="exported")
def export(ledger: Ledger, tmp_path: Path) -> Path:
    out = tmp_path / "static-log"
    for path, content in tiles.export(ledger, entries=False):  # what `packtrace export-tiles DIR` writes
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(content)
    return out


@then("a client of a plain static file server rebuilds the signed checkpoint's root from the hash tiles alone")
def rebuilt(ledger: Ledger, exported: Path) -> None:
    with static_server(exported) as http:
        size, root = tlog_client.verified_root(http, ledger.signer.verifier_key)
    checkpoint = ledger.latest_checkpoint()
    assert checkpoint is not None and (size, root) == (ledger.size(), checkpoint.root)


@when(parsers.parse("a regulator fetches the tlog-proof of pack {n:d} and its head entry"), target_fixture="proof")
def fetch_proof(ledger: Ledger, tmp_path: Path, n: int) -> dict[str, Path]:
    proof, entry = tmp_path / "head.tlog-proof", tmp_path / "entry.json"
    proof.write_text(tiles.pack_proof(ledger, regulator_caller(), code(n)))
    entry.write_bytes(ledger.pack_entries(code(n), 0)[-1].body)
    return {"proof": proof, "entry": entry}


def _verify(ledger: Ledger, proof: dict[str, Path]) -> Any:
    args = ["verify-bundle", str(proof["proof"]), "--entry", str(proof["entry"]), "--log-key",
            ledger.signer.verifier_key]  # fmt: skip
    return CliRunner().invoke(app, args)


@then('"packtrace verify-bundle" accepts the proof with the entry and the log\'s verifier key')
def proof_accepted(ledger: Ledger, proof: dict[str, Path]) -> None:
    result = _verify(ledger, proof)
    assert result.exit_code == 0, result.output
    index = json.loads(proof["entry"].read_text())["index"]
    assert result.stdout.startswith("OK: tlog-proof: the entry of entry.json (leaf hash ")
    assert f") is entry {index} of packtrace.test/log at tree size {ledger.size()}, " in result.stdout


@then('"packtrace verify-bundle" refuses the proof once one of its hashes is changed')
def proof_refused(ledger: Ledger, proof: dict[str, Path]) -> None:
    lines = proof["proof"].read_text().split("\n")
    lines[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    proof["proof"].write_text("\n".join(lines))
    result = _verify(ledger, proof)
    assert result.exit_code == 1
    assert "FAILED inclusion proof does not verify: computed root " in " ".join(result.output.split())


@when("the operator commits to every chain's head", target_fixture="committed")
def commit(ledger: Ledger) -> heads.Committed:
    made = heads.commit_heads(ledger)  # what `packtrace log commit-heads` does
    assert made is not None
    return made


@then("committing again appends nothing, as no entry followed")
def nothing_more(ledger: Ledger, committed: heads.Committed) -> None:
    assert heads.commit_heads(ledger) is None
    assert ledger.size() == committed.index + 1 and committed.size == committed.index


@then('"packtrace verify" accepts the log with its head commitment')
def verified(ledger: Ledger, database_url: str, committed: heads.Committed) -> None:
    result = CliRunner().invoke(
        app, ["verify", "--database-url", database_url, "--log-key", ledger.signer.verifier_key]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK: {ledger.size()} entries, ")
