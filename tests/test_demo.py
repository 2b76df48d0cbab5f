"""The demo province: every path of the lifecycle, a verifiable log, and a CLI that prints working tokens."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from api import demo
from api.cli import app
from events.orgs import Role
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.usecases.verify import verify_database


@pytest.fixture
def province(engine: Engine) -> tuple[Ledger, demo.Province]:
    ledger = Ledger(engine, LogSigner("demo.test/packtrace", Ed25519PrivateKey.generate()))
    ledger.init()
    built = demo.build(ledger, packs=400, sealing_key=bytes(32))
    yield ledger, built
    ledger.close()


@pytest.mark.slow
def test_demo_covers_every_role_and_lifecycle_path_and_verifies(province: tuple[Ledger, demo.Province]) -> None:
    ledger, built = province
    assert {role for org in built.orgs.values() for role in org.roles} == set(Role)
    assert set(built.paths) >= {
        "in_vehicle",
        "repair",
        "swap",
        "recycling",
        "second_life",
        "lost",
        "exported",
        "in_transit_unknown",
        "retired_unknown",
        "dismantler",
    }
    with ledger.engine.connect() as conn:
        statuses = Counter(dict(conn.execute(text("SELECT status, COUNT(*) FROM pack GROUP BY status")).all()))
        types = Counter(dict(conn.execute(text("SELECT type, COUNT(*) FROM entry GROUP BY type")).all()))
        platform_keys = conn.execute(text("SELECT COUNT(*) FROM org_key WHERE platform_held")).scalar_one()
    assert {
        "in_vehicle",
        "in_transit",
        "in_stock",
        "in_storage_system",
        "recycled",
        "repurposed",
        "lost",
        "exported",
        "dismantled",
        "retired",
    } <= set(statuses)
    assert {"recalled", "incident", "serviced", "removed", "inspected", "swapped"} <= set(types)
    assert platform_keys >= 5
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []


@pytest.mark.slow
def test_demo_reports_some_late_and_some_unaccounted(province: tuple[Ledger, demo.Province]) -> None:
    from datetime import UTC, datetime

    from events.deadlines import lateness
    from events.timestamps import from_rfc3339
    from ledger.usecases.report_index import DEFAULT_BASIS
    from ledger.usecases.reports.compliance import unaccounted_packs

    ledger, built = province
    late = 0
    for _, _, body in ledger.entries(0, ledger.size()):
        entry = json.loads(body)
        if "subject" in entry:  # a registry entry (an organisation, a key): no deadline applies
            continue
        claim = entry["claim"]
        actor = built.orgs[claim["actor"]]
        late += (
            lateness(claim["type"], actor, from_rfc3339(claim["at"]), from_rfc3339(entry["recorded_at"])) is not None
        )
    now = datetime(2026, 11, 23, tzinfo=UTC)
    with ledger.engine.connect() as conn:
        lost_sight = len(unaccounted_packs(conn, now, DEFAULT_BASIS))
    assert late >= 5 and lost_sight >= 5


@pytest.mark.slow
def test_cli_demo_builds_and_prints_a_token_per_organisation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--packs", "120"])
    assert result.exit_code == 0, result.output
    tokens = json.loads((tmp_path / "demo-tokens.json").read_text())
    assert set(tokens) == {org.id for org in demo.ORGS}
    assert tokens["fj-miit"] in result.output
    again = CliRunner().invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0 and "serving it with fresh tokens" in again.output
    assert json.loads((tmp_path / "demo-tokens.json").read_text())["fj-miit"] != tokens["fj-miit"]


@pytest.mark.slow
def test_demo_imports_packs_through_xm_import(province: tuple[Ledger, demo.Province]) -> None:
    """The province's last lives (400 // 60 = 6) are imported by xm-import and then go into vehicles."""
    ledger, built = province
    imported = built.paths["imported"]
    assert len(imported) == 6 and all(code.startswith("0XM") for code in imported)
    states = [ledger.pack_state(code) for code in imported]
    assert {state.manufacturer for state in states if state is not None} == {"xm-import"}
    first = states[0]
    assert first is not None and first.extra["imported"]["foreign_manufacturer"] == {
        "name": "LG Energy Solution",
        "country": "KR",
    }
    assert {state.status for state in states if state is not None} <= {"in_vehicle", "in_transit", "produced"}
    assert "in_vehicle" in {state.status for state in states if state is not None}


def test_demo_leases_its_lessor_packs(province: tuple[Ledger, demo.Province]) -> None:
    """车电分离 (docs/ownership.md): the lessor path's packs are sold to the lessor before shipping, leased for
    their vehicle, some taken to the service shop and back (custody moves, the owner stays), some leased
    anew after an ended lease."""
    ledger, built = province
    leased = built.paths["lessor"]
    assert leased
    states = [ledger.pack_state(code) for code in leased]
    with ledger.engine.connect() as conn:
        types = Counter(dict(conn.execute(text("SELECT type, COUNT(*) FROM entry GROUP BY type")).all()))
    assert types["ownership_transferred"] == len(leased) and types["leased"] >= len(leased)
    assert {"leased", "lease_ended", "ownership_transferred"} <= set(types)
    assert all(s is not None and s.owner == "fj-baas" and s.manufacturer != "fj-baas" for s in states)
    active = [s for s in states if s is not None and s.lease is not None]
    assert active and all(s.lease is not None and s.lease["lessor"] == "fj-baas" for s in active)
    assert {s.custodian for s in states if s is not None} >= {"fj-baas"}


def test_demo_fits_a_replaced_module_into_another_pack_and_traces_it(province: tuple[Ledger, demo.Province]) -> None:
    """docs/modules.md: a repair replaces a pack's first module; a later repair fits that module, remanufactured,
    into another pack. The recall by the module's code, and by a cell of it, finds exactly those two packs."""
    from ledger.usecases.reports.recall import RecallFilter, recall
    from tests.support import regulator_caller

    ledger, built = province
    assert built.moved_modules
    module, packs = next(iter(sorted(built.moved_modules.items())))
    by_module = recall(ledger, regulator_caller(), RecallFilter(component=module))
    assert [h.pack for h in by_module.holdings] == packs
    assert [h.via for h in by_module.holdings] == [None, None]
    first, second = by_module.holdings
    assert first.held_until is not None and first.held_until < second.held_from
    assert sorted(p.code for p in by_module.packs) == sorted(packs)
    produced = json.loads(ledger.pack_entries(packs[0])[0][2])["claim"]["data"]
    cell = produced["module_cells"][module][0]
    by_cell = recall(ledger, regulator_caller(), RecallFilter(component=cell))
    assert [(h.pack, h.via) for h in by_cell.holdings] == [(packs[0], module), (packs[1], module)]
