"""The report tables (ledger.usecases.report_index): read each entry once, catch up with new entries, never count an
entry twice when refreshes race, and keep rows of another rule version apart."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from events.deadlines import DEFAULT_RULESET, RuleSet
from events.errors import AuthorisationError, InputError
from events.orgs import Role
from ledger.log import Ledger
from ledger.store import registry, reportrows
from ledger.usecases.access import Caller
from ledger.usecases.report_index import DEFAULT_BASIS, Basis, refresh
from ledger.usecases.reports.compliance import OrgLateness, compliance
from ledger.usecases.reports.csvtext import csv_text
from ledger.usecases.reports.organisations import organisations
from ledger.usecases.reports.recall import RecallFilter, recall
from ledger.usecases.reports.recovery import recovery
from tests.api.parties import VIN, Party
from tests.api.scenario import PRODUCED, code, post
from tests.support import T0, regulator_caller


def vehicle(client: httpx.Client, parties: dict[Role, Party], serial: int, *, days_ago: int) -> None:
    """produced → shipped → received → installed, all `days_ago` days before they are recorded."""
    maker, automaker = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER]
    pack, at = code(serial), T0 - timedelta(days=days_ago)
    post(client, maker, maker.claim(pack, "produced", PRODUCED, at=at))
    post(client, maker, maker.claim(pack, "shipped", {"to": automaker.id}, at=at + timedelta(hours=1)))
    post(client, automaker, automaker.claim(pack, "received", {"from": maker.id}, at=at + timedelta(hours=2)))
    post(client, automaker, automaker.claim(pack, "installed", {"vin": VIN}, at=at + timedelta(hours=3)))


def counted(ledger: Ledger, basis: Basis = DEFAULT_BASIS) -> tuple[int, int]:
    """(entries counted in report_actor, late rows)."""
    with ledger.engine.connect() as conn:
        entries = sum(row.entries for row in reportrows.actor_counts(conn, basis.name))
        late = sum(group.late for group in reportrows.late_groups(conn, basis.name, ledger.size()))
        return entries, late


def test_refresh_catches_up_and_counts_each_entry_once(
    ledger: Ledger, client: httpx.Client, parties: dict[Role, Party], base: int
) -> None:
    vehicle(client, parties, 1, days_ago=45)
    assert refresh(ledger) == base + 4  # the log's size: the parties' registry entries, then the events
    assert counted(ledger) == (4, 1)
    assert refresh(ledger) == base + 4 and counted(ledger) == (4, 1)
    vehicle(client, parties, 2, days_ago=1)
    vehicle(client, parties, 3, days_ago=40)
    assert refresh(ledger, chunk=3) == base + 12
    assert counted(ledger) == (12, 2)


def test_racing_refreshes_count_each_entry_once(
    ledger: Ledger, client: httpx.Client, parties: dict[Role, Party]
) -> None:
    for serial in range(1, 7):
        vehicle(client, parties, serial, days_ago=40 if serial % 2 else 2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            refresh(ledger, chunk=2)
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert counted(ledger) == (24, 3)


def test_another_rule_version_keeps_its_own_rows(
    ledger: Ledger, client: httpx.Client, parties: dict[Role, Party]
) -> None:
    vehicle(client, parties, 1, days_ago=10)  # 7 or 8 working days: on time under the 15-day rule
    rules = tuple(replace(r, working_days=2) if r.id == "installation-15wd" else r for r in DEFAULT_RULESET.rules)
    stricter = RuleSet("test-strict", "installation within 2 working days", rules, unaccounted_days=30)
    strict = Basis(stricter)
    assert compliance(ledger, regulator_caller()).late_total == 0
    report = compliance(ledger, regulator_caller(), basis=strict)
    assert report.ruleset == "test-strict" and report.late_total == 1
    assert report.late[0].rule == "installation-15wd" and report.late[0].working_days_late > 0
    assert counted(ledger) == (4, 0) and counted(ledger, strict) == (4, 1)


def test_unknown_rule_versions_and_filters_are_refused() -> None:
    with pytest.raises(InputError, match="unknown deadline rule set 'nope'"):
        Basis.of("nope")
    with pytest.raises(InputError, match="unknown recovery rule version '1999'"):
        Basis.of(recovery_version="1999")
    assert Basis.of() == DEFAULT_BASIS


def test_service_functions_check_the_caller_first(ledger: Ledger, parties: dict[Role, Party]) -> None:
    with ledger.engine.connect() as conn:
        recycler = registry.get_org(conn, parties[Role.RECYCLER].id)
    assert recycler is not None
    caller = Caller(org=recycler)
    for call in (
        lambda: recall(ledger, caller, RecallFilter(manufacturer="001")),
        lambda: compliance(ledger, caller),
        lambda: recovery(ledger, caller),
        lambda: organisations(ledger, caller),
    ):
        with pytest.raises(AuthorisationError, match="only a regulator may"):
            call()


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (RecallFilter(), "needs at least one of"),
        (RecallFilter(chemistry="coal"), "unknown chemistry 'coal'"),
        (RecallFilter(spec="1"), "spec '1' must be the 2-character spec code"),
        (RecallFilter(produced_from=T0.date(), produced_to=T0.date() - timedelta(days=1)), "is after"),
    ],
)
def test_recall_filters_are_checked(ledger: Ledger, where: RecallFilter, message: str) -> None:
    with pytest.raises(InputError, match=message):
        recall(ledger, regulator_caller(), where)


def test_recall_api_refuses_bad_filters_with_422(client: httpx.Client, parties: dict[Role, Party]) -> None:
    regulator = parties[Role.REGULATOR].auth
    for params in (
        {},
        {"chemistry": "coal"},
        {"produced_from": "2026-02-30"},
        {"format": "xml", "manufacturer": "001"},
    ):
        response = client.get("/v1/reports/recall", params=params, headers=regulator)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
    response = client.get("/v1/reports/compliance", params={"rule": "nope"}, headers=regulator)
    assert response.status_code == 422 and "unknown rule 'nope'" in response.json()["detail"]


def test_csv_cells_are_plain_text_a_spreadsheet_will_not_run() -> None:
    rows = [
        OrgLateness(org="x", name="=HYPERLINK(\"http://evil\")", timed=3, late=1, late_pct=33.33,
                            by_rule={"installation-15wd": 1, "recycler-intake-30wd": 0}),
        OrgLateness(org="y", name=None, timed=0, late=0, late_pct=None, by_rule={}),
    ]  # fmt: skip
    text = csv_text(OrgLateness, rows)
    assert text.startswith("\ufefforg,name,timed,late,late_pct,by_rule\r\n")
    assert (
        text.splitlines()[1] == 'x,"\'=HYPERLINK(""http://evil"")",3,1,33.33,installation-15wd=1;recycler-intake-30wd=0'
    )
    assert text.splitlines()[2] == "y,,0,0,,"
