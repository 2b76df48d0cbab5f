"""Steps of features/calendar.feature: deadlines counted with the shipped calendar and with an imported year
(the clearly-labelled test fixture tests/data/calendar-2027-test.json), through the service and the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from typer.testing import CliRunner

from api.cli import app as cli
from events.registry import CALENDAR_SUBJECT
from ledger.log import Ledger
from ledger.store import registry
from ledger.usecases.reports.compliance import ComplianceReport, LateEntry, compliance
from ledger.usecases.workspace import overview
from tests.api.conftest import write_log_key
from tests.api.parties import VIN
from tests.support import PRODUCED, Actor, Clock, code, regulator_caller

scenarios("calendar.feature")

FIXTURE_2027 = Path(__file__).resolve().parent.parent.parent / "tests" / "data" / "calendar-2027-test.json"
runner = CliRunner()


@dataclass
class Desk:
    report: ComplianceReport | None = None
    output: str = ""
    error: str = ""
    exit_code: int = 0
    packs: dict[int, str] = field(default_factory=dict)


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def cli_env(ledger: Ledger, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI on the scenario's database, with the ledger's own log key."""
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", "packtrace.test/log")
    write_log_key(ledger, tmp_path / "log.key")
    return tmp_path


def china(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@given(parsers.parse('"{automaker}" installed pack {n:d} at 10:00 on "{day}" and recorded it on "{recorded}"'))
def _installed(ledger: Ledger, actors: dict[str, Actor], desk: Desk, automaker: str, n: int, day: str,
               recorded: str) -> None:  # fmt: skip
    maker, car = actors["catl"], actors[automaker]
    pack, at = code(n), china(day, 10)
    ledger.clock = Clock(china(recorded, 9) - timedelta(seconds=10))
    ledger.append_one(*maker.claim(pack, "produced", PRODUCED, at=at - timedelta(days=3)))
    ledger.append_one(*maker.claim(pack, "shipped", {"to": car.id}, at=at - timedelta(days=2)))
    ledger.append_one(*car.claim(pack, "received", {"from": maker.id}, at=at - timedelta(days=1)))
    ledger.append_one(*car.claim(pack, "installed", {"vin": VIN}, at=at))
    desk.packs[n] = pack


@when("the regulator reads the compliance report")
def _read(ledger: Ledger, desk: Desk) -> None:
    desk.report = compliance(ledger, regulator_caller())


def _late(desk: Desk, n: int) -> LateEntry:
    assert desk.report is not None
    found = [e for e in desk.report.late if e.pack == desk.packs[n] and e.type == "installed"]
    assert len(found) == 1, desk.report.late
    return found[0]


DUE = r"pack (?P<n>\d+)'s installation was due on \"(?P<due>[0-9-]+)\" and is (?P<late>\d+) working days? late"


@then(parsers.re(DUE))
def _due(desk: Desk, n: str, due: str, late: str) -> None:
    entry = _late(desk, int(n))
    assert (str(entry.due), entry.working_days_late) == (due, int(late))


@then("it is marked provisional")
def _provisional(desk: Desk) -> None:
    assert desk.report is not None and [e.provisional for e in desk.report.late] == [True]


@then("it is not marked provisional")
def _exact(desk: Desk) -> None:
    assert desk.report is not None and [e.provisional for e in desk.report.late] == [False]


@then(parsers.parse("the overview warns that the calendar of {year:d} is missing"))
def _warns(ledger: Ledger, year: int) -> None:
    assert year in overview(ledger, regulator_caller()).calendar_missing


@when('the administrator runs "packtrace calendar import" with the 2027 test calendar')
def _import(cli_env: Path, desk: Desk) -> None:
    desk.exit_code, desk.output, desk.error = run("calendar", "import", str(FIXTURE_2027))
    assert desk.exit_code == 0, desk.error


@when("the administrator imports a 2027 calendar whose make-up working day is Monday 8 February")
def _import_bad(cli_env: Path, desk: Desk) -> None:
    data = json.loads(FIXTURE_2027.read_text(encoding="utf-8"))
    data["workdays"] = ["2027-02-08"]
    bad = cli_env / "calendar-2027.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    desk.exit_code, desk.output, desk.error = run("calendar", "import", str(bad))


@then(parsers.parse('the command fails with "{message}"'))
def _fails(desk: Desk, message: str) -> None:
    assert (desk.exit_code, desk.output, desk.error) == (1, "", message + "\n")


@then(parsers.parse('"packtrace calendar show {year:d}" says it was imported by the log\'s last entry'))
def _show(ledger: Ledger, cli_env: Path, year: int) -> None:
    exit_code, out, err = run("calendar", "show", str(year))
    assert exit_code == 0, err
    assert out.splitlines()[0] == f"{year}: imported by entry {ledger.size() - 1}（导入）"


@then('"packtrace verify" accepts the log')
def _verify(ledger: Ledger, cli_env: Path) -> None:
    exit_code, out, err = run("verify")
    assert exit_code == 0, err
    assert out.startswith(f"OK: {ledger.size()} entries, 1 packs, ")


@then("the log has no calendar entry")
def _none(ledger: Ledger) -> None:
    with ledger.engine.connect() as conn:
        assert registry.subject_entries(conn, CALENDAR_SUBJECT) == []
