"""Steps of features/ledger.feature: verification of the whole log and of one pack's bundle, by the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import text
from typer.testing import CliRunner, Result

from api.cli import app
from events.registry import new_registry_claim
from ledger.log import Ledger
from ledger.usecases.bundles import make_bundle
from tests.ledger.rewrites import edit_mass, rewrite_tree
from tests.support import PRODUCED, Actor, code

scenarios("ledger.feature")

INCIDENT = {"kind": "other", "severity": "low", "description": "dropped at the dock"}


@pytest.fixture
def outcome() -> dict[str, Any]:
    return {}


@given(parsers.parse('"{maker}" has produced packs {first:d} to {last:d}, each shipped to "{receiver}"'))
def produced_and_shipped(
    ledger: Ledger, actors: dict[str, Actor], maker: str, first: int, last: int, receiver: str
) -> None:
    for n in range(first, last + 1):
        ledger.append_one(*actors[maker].claim(code(n), "produced", PRODUCED))
        ledger.append_one(*actors[maker].claim(code(n), "shipped", {"to": receiver}))


@given(parsers.parse("someone deletes entry {index:d} from the database"))
def delete_entry(ledger: Ledger, index: int) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(text("DELETE FROM entry WHERE idx = :i"), {"i": index})


@when('the regulator runs "packtrace verify"')
def run_verify(ledger: Ledger, database_url: str, outcome: dict[str, Any]) -> None:
    outcome["result"] = CliRunner().invoke(
        app, ["verify", "--database-url", database_url, "--log-key", ledger.signer.verifier_key]
    )


def _incremental(ledger: Ledger, database_url: str, state: Path) -> Result:
    args = ["verify", "--incremental", "--state", str(state), "--database-url", database_url]
    return CliRunner().invoke(app, [*args, "--log-key", ledger.signer.verifier_key])


@given('the regulator has verified the log with "packtrace verify --incremental", which stored the checkpoint')
def verified_before(ledger: Ledger, database_url: str, tmp_path: Path) -> None:
    first = _incremental(ledger, database_url, tmp_path / "verified")
    assert first.exit_code == 0, first.output
    assert (tmp_path / "verified").read_text().startswith(f"{ledger.signer.origin}\n{ledger.size()}\n")


@given("the operator edits the shipment of pack 6, rebuilds the tree and signs its checkpoint again")
def rewritten(ledger: Ledger) -> None:
    edit_mass(ledger, ledger.size() - 1, 1.0)
    rewrite_tree(ledger)


@when('the regulator runs "packtrace verify --incremental"')
def run_incremental(ledger: Ledger, database_url: str, tmp_path: Path, outcome: dict[str, Any]) -> None:
    outcome["result"] = _incremental(ledger, database_url, tmp_path / "verified")


@then(parsers.parse('it reports "{text_}"'))
def reports(outcome: dict[str, Any], text_: str) -> None:
    result: Result = outcome["result"]
    assert result.exit_code == 0, result.output
    assert text_ in result.output


@then(parsers.parse("it reports OK for the registry's entries and {count:d} more, in {packs:d} packs"))
def reports_size(outcome: dict[str, Any], base: int, count: int, packs: int) -> None:
    result: Result = outcome["result"]
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK: {base + count} entries, {packs} packs, ")


@then(parsers.parse('it fails naming "{text_}"'))
def fails(outcome: dict[str, Any], text_: str) -> None:
    result: Result = outcome["result"]
    assert result.exit_code == 1
    assert text_ in result.output


@when(parsers.parse("the regulator saves the bundle of pack {n:d} to a file"))
def save_bundle(ledger: Ledger, n: int, tmp_path: Path, outcome: dict[str, Any]) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(make_bundle(ledger, code(n)), ensure_ascii=False))
    outcome["bundle"] = path


def _verify_bundle(ledger: Ledger, path: Path) -> Result:
    return CliRunner().invoke(app, ["verify-bundle", str(path), "--log-key", ledger.signer.verifier_key])


@then(parsers.parse('"packtrace verify-bundle" accepts the file with the log\'s verifier key'))
def bundle_accepted(ledger: Ledger, base: int, outcome: dict[str, Any]) -> None:
    result = _verify_bundle(ledger, outcome["bundle"])
    assert result.exit_code == 0, result.output
    assert (
        f"OK: pack {code(3)}: entries 0–1 proven (2 entries, verified and chained; the last included in the log "
        f"at tree size {base + 13}" in result.output  # + the head commitment the bundle made, entry base+12
    )
    assert (
        f"complete: the log's head commitment at entry {base + 12} names seq 1 as the pack's last entry at log "
        f"size {base + 12}" in " ".join(result.output.split())
    )


@then(parsers.parse('"packtrace verify-bundle" refuses the file once one of its events is altered'))
def bundle_refused(ledger: Ledger, base: int, outcome: dict[str, Any]) -> None:
    path: Path = outcome["bundle"]
    bundle = json.loads(path.read_text())
    bundle["entries"][1]["claim"]["data"]["to"] = "nio-swap"
    path.write_text(json.dumps(bundle))
    result = _verify_bundle(ledger, path)
    assert result.exit_code == 1
    assert f"FAILED entry seq 1 (index {base + 5}): signature does not verify with key 'catl/1'" in result.output


@given(parsers.parse('"{org}" has received pack {n:d} and reported {count:d} incidents on it'))
def received_with_incidents(ledger: Ledger, actors: dict[str, Actor], org: str, n: int, count: int) -> None:
    ledger.append_one(*actors[org].claim(code(n), "received", {"from": "catl"}))
    for _ in range(count):
        ledger.append_one(*actors[org].claim(code(n), "incident", INCIDENT))


@when(
    parsers.parse(
        "the server removes the last {cut:d} entries from the file, "
        "proving the new last one against the same checkpoint"
    )
)
def cut_bundle(ledger: Ledger, cut: int, outcome: dict[str, Any]) -> None:
    """What a server holding the log could send: a shorter chain whose last entry is genuinely included."""
    path: Path = outcome["bundle"]
    bundle = json.loads(path.read_text())
    del bundle["entries"][-cut:]
    del bundle["keys"]  # a summary for readers: it would name keys that signed only the removed entries
    last, size = bundle["entries"][-1]["index"], bundle["proof"]["tree_size"]
    hashes = [h.hex() for h in ledger.inclusion_proof(last, size)]
    bundle["proof"] = {"index": last, "tree_size": size, "hashes": hashes}
    path.write_text(json.dumps(bundle, ensure_ascii=False))
    head = json.loads(ledger.pack_entries(code(3), 0)[-1].body)
    outcome["head_index"] = head["index"]
    outcome["commitment"] = bundle["heads"]["entry"]["index"]


@then(
    parsers.parse(
        '"packtrace verify-bundle" refuses the file: the log\'s head commitment says the chain had {total:d} entries, '
        "the file lists {left:d}"
    )
)
def cut_refused(ledger: Ledger, outcome: dict[str, Any], total: int, left: int) -> None:
    result = _verify_bundle(ledger, outcome["bundle"])
    assert result.exit_code == 1, result.output
    commitment = outcome["commitment"]
    assert " ".join(result.output.split()) == (
        f"FAILED pack {code(3)}: entries were removed from its end: the log's head commitment at entry {commitment} "
        f"(log size {commitment}) says the chain had {total} entries (the last, seq {total - 1}, at entry "
        f"{outcome['head_index']}), but the bundle lists {left}"
    )


@given("the log appends a head commitment whose root is not that of its chains' heads")
def forged_commitment(ledger: Ledger) -> None:
    """The operator, holding the log key, commits to a tree that leaves out the last pack's head."""
    claim = new_registry_claim(subject="heads", type="heads_committed", by="log", at=ledger.clock(),
                               data={"size": ledger.size(), "count": 1, "root": "ab" * 32})  # fmt: skip
    ledger.append_registry([(claim, None)])


@when(parsers.parse('"{org}" posts the same signed claim twice'))
def post_twice(ledger: Ledger, actors: dict[str, Actor], org: str, outcome: dict[str, Any]) -> None:
    claim, sig = actors[org].claim(code(1), "received", {"from": "catl"})
    outcome["first"] = ledger.append_one(claim, sig)
    outcome["second"] = ledger.append_one(claim, sig)


@then("the log holds one entry for that claim")
def one_entry(ledger: Ledger, outcome: dict[str, Any]) -> None:
    first, second = outcome["first"], outcome["second"]
    assert (first.created, second.created) == (True, False)
    assert second.index == first.index == ledger.size() - 1
