"""Steps of features/migration.feature: the `packtrace` commands an operator runs on a copy of a database
made by the previous version (tests/data/pre_registry, made at commit 47692da)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from typer.testing import CliRunner, Result

from api.cli import app as cli
from ledger.format.logkey import LogSigner, load_key
from ledger.log import Ledger
from ledger.store.db import make_engine

scenarios("migration.feature")

FIXTURE = Path(__file__).parents[2] / "tests" / "data" / "pre_registry"
ORIGIN = "pre-registry.test/log"


@pytest.fixture
def operator() -> dict[str, Any]:
    return {}


@given("a database made by the version before the registry was in the log")
def _old_database(operator: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "old"
    shutil.copytree(FIXTURE, folder)
    operator["folder"] = folder
    operator["env"] = {
        "PACKTRACE_DATABASE_URL": f"sqlite:///{folder / 'ledger.db'}",
        "PACKTRACE_LOG_ORIGIN": ORIGIN,
        "PACKTRACE_LOG_KEY_FILE": str(folder / "log.key"),
        "PACKTRACE_SEALING_KEY_FILE": str(folder / "sealing.key"),
    }


def run(operator: dict[str, Any], *args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env=operator["env"])
    operator["result"] = result
    return result


@when("the operator runs packtrace verify")
def _verify(operator: dict[str, Any]) -> None:
    run(operator, "verify")


@then("it fails, saying to run packtrace migrate first")
def _refused(operator: dict[str, Any]) -> None:
    result = operator["result"]
    assert result.exit_code == 1
    assert "run `packtrace migrate`, or start the server once, to record them as registry entries" in " ".join(
        result.output.split()
    )


@when("the operator runs packtrace migrate")
def _migrate(operator: dict[str, Any]) -> None:
    result = run(operator, "migrate")
    assert result.exit_code == 0, result.output


@then(parsers.parse("it reports {entries:d} registry entries for {orgs:d} organisations recorded in the log"))
def _reported(operator: dict[str, Any], entries: int, orgs: int) -> None:
    assert (
        f"registry recorded in the log: {entries} registry entries for {orgs} organisations and their keys"
        in operator["result"].output
    )


@then("packtrace verify passes on the whole database")
def _verified(operator: dict[str, Any]) -> None:
    result = run(operator, "verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 26 entries, 3 packs")


@then("the six pack entries of the earlier version are still the log's first entries")
def _history_kept(operator: dict[str, Any]) -> None:
    folder: Path = operator["folder"]
    engine = make_engine(f"sqlite:///{folder / 'ledger.db'}")
    ledger = Ledger(engine, LogSigner(ORIGIN, load_key(folder / "log.key")))
    try:
        logged = [json.loads(e.body) for e in ledger.entries(0, ledger.size())]
    finally:
        ledger.close()
        engine.dispose()
    assert ["pack" in e for e in logged[:6]] == [True] * 6
    assert all("subject" in e and e["claim"]["by"] in ("migration", "log") for e in logged[6:])
