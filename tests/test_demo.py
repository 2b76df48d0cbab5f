"""The demo province: every path of the lifecycle, a verifiable log, and a CLI that prints working tokens."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from api import demo
from api.cli import app
from api.province import ending_on, simulate
from events.orgs import Role
from events.timestamps import CHINA_TZ, from_rfc3339
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import make_engine
from ledger.usecases.verify import verify_database

pytestmark = pytest.mark.slow


@pytest.fixture
def province(engine: Engine) -> tuple[Ledger, demo.Province]:
    ledger = Ledger(engine, LogSigner("demo.test/packtrace", Ed25519PrivateKey.generate()))
    ledger.init()
    built = demo.build(ledger, packs=400, sealing_key=bytes(32))
    yield ledger, built
    ledger.close()


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


def test_demo_reports_some_late_and_some_unaccounted(province: tuple[Ledger, demo.Province]) -> None:
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


def test_cli_demo_builds_and_prints_a_token_per_organisation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--packs", "120"])
    assert result.exit_code == 0, result.output
    tokens = json.loads((tmp_path / "demo-tokens.json").read_text())
    assert set(tokens) == {org.id for org in demo.ORGS}
    assert tokens["fj-miit"] in result.output
    # the story ends today (China time) and nothing is recorded after the command ran
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with engine.connect() as conn:
        bodies = conn.execute(text("SELECT body FROM entry ORDER BY idx DESC LIMIT 100")).scalars()
        last = next(e for e in map(json.loads, bodies) if "pack" in e)  # the last pack entry of the story
        bodies = conn.execute(text("SELECT body FROM entry ORDER BY idx LIMIT 100")).scalars()
        first = next(e for e in map(json.loads, bodies) if "pack" in e)
    engine.dispose()
    recorded, now = from_rfc3339(last["recorded_at"]), datetime.now(UTC)
    story, _ = simulate(random.Random(34014), ending_on(demo.DEMO, china_day(now)), demo.plan(120, 34014))
    # each entry recorded when the story has it happen, not when the command ran (a new log starts before it)
    assert from_rfc3339(first["recorded_at"]) < now - timedelta(days=365)
    assert recorded <= now and china_day(recorded) == china_day([s for s in story if s.recorded < now][-1].recorded)
    again = CliRunner().invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0 and "serving it with fresh tokens" in again.output
    assert json.loads((tmp_path / "demo-tokens.json").read_text())["fj-miit"] != tokens["fj-miit"]


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


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


@pytest.mark.parametrize("day", [date(2026, 12, 5), date(2027, 3, 10)])
def test_the_demo_story_ends_on_the_day_it_is_built(day: date) -> None:
    """`packtrace demo` gives today (China time): the same lives, every date of the story moved by whole days
    to end that day, the same for the same day. (A life is not moved exactly: a production date that falls on
    a 31st moves to the 1st, so the draws after it differ.)"""
    lives = demo.plan(2400, 34014)  # as `packtrace demo` builds it
    fixed, fixed_paths = simulate(random.Random(34014), demo.DEMO, lives)
    moved_scenario = ending_on(demo.DEMO, day)
    moved, paths = simulate(random.Random(34014), moved_scenario, lives)
    again, paths_again = simulate(random.Random(34014), ending_on(demo.DEMO, day), lives)
    shift = day - date(2026, 11, 16)
    assert china_day(demo.DEMO.end) == date(2026, 11, 16) and china_day(moved_scenario.end) == day
    assert china_day(moved[-1].recorded) == day
    assert china_day(fixed[-1].recorded) == date(2026, 11, 16)
    assert {path: len(codes) for path, codes in paths.items()} == {p: len(c) for p, c in fixed_paths.items()}
    assert abs(len(moved) - len(fixed)) < len(fixed) // 100  # the same story, give or take a few steps
    assert china_day(moved[0].recorded) == china_day(fixed[0].recorded) + shift
    assert [s.claims for s in moved] == [s.claims for s in again] and paths == paths_again
    recall = moved_scenario.recall
    assert recall is not None and recall.produced == (date(2025, 5, 1) + shift, date(2025, 7, 31) + shift)
    assert [listing.effective for listing in moved_scenario.listings] == [date(2026, 3, 1) + shift]


def test_the_demo_records_nothing_after_the_moment_it_is_built() -> None:
    """Built at 10:00 China time, the story's last afternoon is not recorded: its morning is (the last day
    holds events at 02:40, 08:43, 08:51 and 14:40)."""
    day = date(2027, 3, 10)
    lives = demo.plan(2400, 34014)  # as `packtrace demo` builds it
    whole, _ = simulate(random.Random(34014), ending_on(demo.DEMO, day), lives)
    morning = datetime(2027, 3, 10, 10, 0, tzinfo=CHINA_TZ)
    scenario = ending_on(demo.DEMO, day, until=morning)
    cut, _ = simulate(random.Random(34014), scenario, lives)
    assert scenario.last_moment == morning
    assert cut == [step for step in whole if step.recorded < morning] and len(cut) < len(whole)
    assert china_day(cut[-1].recorded) == day


def test_demo_shreds_packs_in_recycler_lots(province: tuple[Ledger, demo.Province]) -> None:
    """Before the imports, 400 // 40 = 10 lives end in brunp's two lots: DEMO-A with imported black mass
    balances; DEMO-B claims more nickel than its packs could hold, and the mass balance flags it."""
    from ledger.usecases.reports.lots import lots_report
    from tests.support import regulator_caller

    ledger, built = province
    assert len(built.paths["lot"]) == 10
    report = lots_report(ledger, regulator_caller())
    a, b = report.lots
    assert (a.lot, a.status, b.lot, b.status) == (
        "lot:brunp:DEMO-A",
        "lot_recovered",
        "lot:brunp:DEMO-B",
        "lot_recovered",
    )
    in_lots = {p.code for p in a.packs} | {p.code for p in b.packs}
    assert in_lots <= set(built.paths["lot"]) and all(ledger.pack_state(c).status == "in_lot" for c in in_lots)  # type: ignore[union-attr]
    assert [bm.origin for bm in a.black_mass] == ["KR"] and a.flags == [] and a.rates
    assert [(f.element, f.kind) for f in b.flags] == [("Ni", "exceeds_inputs")]


def test_demo_repurposes_one_pack_into_two_products(province: tuple[Ledger, demo.Province]) -> None:
    """Repurposing one-to-many: every other second-life pack becomes two storage products in one batch, the
    second kept at a site; each product names the original in `from`, the original names both."""
    ledger, built = province
    split = built.paths["second_life_split"]
    assert split and set(split) <= set(built.paths["second_life"])
    states = [s for code in split if (s := ledger.pack_state(code)) is not None and s.status == "repurposed"]
    assert states, "a split recorded before the province's end"  # later ones are not recorded yet
    for state in states:
        original = state.code
        assert len(state.successors) == 2
        for product in state.successors:
            made = ledger.pack_state(product)
            assert made is not None and made.origins == (original,)
        kept = ledger.pack_state(state.successors[1])
        assert kept is not None and kept.status == "in_storage_system"


def test_demo_lessor_answers_for_its_retired_packs_left_uncollected(province: tuple[Ledger, demo.Province]) -> None:
    """docs/ownership.md: a leased pack retired at the service shop and never collected is 流向不明 held by the
    shop, and the lessor, owner by transfer, answers for it."""
    from ledger.usecases.reports.compliance import compliance
    from tests.support import regulator_caller

    ledger, built = province
    report = compliance(ledger, regulator_caller())
    owed = [u for u in report.unaccounted if u.answerable != u.custodian]
    assert owed and {u.pack for u in owed} <= set(built.paths["lessor"])
    assert {(u.reason, u.owner, u.answerable) for u in owed} == {("retired-not-collected", "fj-baas", "fj-baas")}
    lessor = compliance(ledger, regulator_caller(), org="fj-baas")
    assert {u.pack for u in owed} <= {u.pack for u in lessor.unaccounted}


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
