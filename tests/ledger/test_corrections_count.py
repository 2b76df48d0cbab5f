"""Corrections count: every report and projection reads a corrected entry's values as corrected, and says
so. Each test compares a figure before and after a correction. Runs on both backends."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from events.codes import make_code
from events.errors import InputError
from events.recalls import Scope
from ledger.log import Ledger
from ledger.store import warningrows
from ledger.store.packrows import PackFilter
from ledger.usecases import packhistory, packreads, workspace
from ledger.usecases.access import Caller
from ledger.usecases.recalls import CampaignDraft, campaign_scope
from ledger.usecases.reports.recall import RecallFilter, recall
from ledger.usecases.reports.recovery import recovery
from ledger.usecases.reports.warnings import warnings
from ledger.usecases.views import EntryLink
from tests.support import PRODUCED, Actor, regulator_caller

DAY = date(2026, 1, 15)
RECYCLED = {"feed_mass_kg": 400.0, "content_kg": {"Li": 5.0, "Co": 20.0}, "recovered_kg": {"Li": 4.0, "Co": 19.8}}
REGULATOR = regulator_caller()


def pack(serial: int) -> str:
    return make_code("001", "pack", "A", "12", "ABCDEFG", DAY, serial)  # A: the code implies no chemistry


def fix(ledger: Ledger, actor: Actor, code: str, target: str, fields: dict[str, Any]) -> int:
    claim = actor.claim(code, "corrected", {"target": target, "reason": "keyed in wrong", "fields": fields})
    return ledger.append_one(*claim).index


@pytest.fixture
def made(ledger: Ledger, actors: dict[str, Actor]) -> dict[str, Any]:
    """Two packs of batch B1 and B2, both LFP; the first's `produced` is corrected to NCM of batch B2."""
    maker = actors["catl"]
    first = ledger.append_one(*maker.claim(pack(1), "produced", {**PRODUCED, "batch": "B1", "plant": "P1"}))
    ledger.append_one(*maker.claim(pack(2), "produced", {**PRODUCED, "batch": "B2", "plant": "P1"}))
    before = {
        "batch": [p.code for p in packreads.list_packs(ledger, REGULATOR, PackFilter(batch="B2")).packs],
        "ncm": [p.code for p in packreads.list_packs(ledger, REGULATOR, PackFilter(chemistry="NCM")).packs],
    }
    correction = fix(ledger, maker, pack(1), first.hash, {"chemistry": "NCM", "batch": "B2"})
    return {"produced": first, "correction": correction, "before": before}


def test_the_pack_list_filters_by_corrected_batch_and_chemistry(ledger: Ledger, made: dict[str, Any]) -> None:
    assert made["before"] == {"batch": [pack(2)], "ncm": []}
    listed = packreads.list_packs(ledger, REGULATOR, PackFilter(batch="B2")).packs
    assert [p.code for p in listed] == [pack(1), pack(2)]
    assert [p.code for p in packreads.list_packs(ledger, REGULATOR, PackFilter(batch="B1")).packs] == []
    assert [p.code for p in packreads.list_packs(ledger, REGULATOR, PackFilter(chemistry="NCM")).packs] == [pack(1)]
    assert [p.code for p in packreads.list_packs(ledger, REGULATOR, PackFilter(chemistry="LFP")).packs] == [pack(2)]
    assert [p.chemistry for p in listed] == ["NCM", "LFP"]


def test_the_pack_view_shows_corrected_values_beside_the_recorded_ones(ledger: Ledger, made: dict[str, Any]) -> None:
    view = packreads.get_pack_view(ledger, REGULATOR, pack(1))
    assert view.chemistry == "NCM"
    assert view.technical is not None and (view.technical["chemistry"], view.technical["batch"]) == ("NCM", "B2")
    assert view.corrected is not None
    assert (view.corrected.values, view.corrected.recorded) == (
        {"batch": "B2", "chemistry": "NCM"},
        {"batch": "B1", "chemistry": "LFP"},
    )
    [link] = view.corrected.corrections
    assert (link.index, link.seq) == (made["correction"], 1)
    public = packreads.get_pack_view(ledger, Caller(), pack(1))
    assert public.chemistry == "NCM" and public.corrected is not None
    assert public.corrected.values == {"chemistry": "NCM"} and public.corrected.corrections == []
    assert packreads.get_pack_view(ledger, REGULATOR, pack(2)).corrected is None


def test_the_history_links_a_corrected_entry_and_its_correction(ledger: Ledger, made: dict[str, Any]) -> None:
    produced, correction = packhistory.get_pack_history(ledger, REGULATOR, pack(1)).events
    assert produced.corrected is not None and produced.corrected.values == {"batch": "B2", "chemistry": "NCM"}
    assert produced.corrected.corrections == [EntryLink(index=correction.index, seq=1, hash=correction.hash)]
    assert produced.corrects is None and correction.corrected is None
    assert correction.corrects == EntryLink(index=produced.index, seq=0, hash=produced.hash)
    dossier = workspace.pack_dossier(ledger, REGULATOR, pack(1))
    assert dossier.pack.chemistry == "NCM" and dossier.history[0].corrected == produced.corrected


def test_recall_traces_and_campaign_scopes_use_corrected_values(ledger: Ledger, made: dict[str, Any]) -> None:
    traced = recall(ledger, REGULATOR, RecallFilter(chemistry="NCM"))
    assert [(p.code, p.chemistry) for p in traced.packs] == [(pack(1), "NCM")]
    by_batch = campaign_scope(ledger, REGULATOR, CampaignDraft("R-1", "fire risk", Scope(batch="B2")))
    assert by_batch.codes == [pack(1), pack(2)]
    ncm = Scope(maker="catl", chemistry="NCM")
    by_chemistry = campaign_scope(ledger, REGULATOR, CampaignDraft("R-2", "fire risk", ncm))
    assert by_chemistry.codes == [pack(1)]
    with pytest.raises(InputError, match=r"^the scope matches no pack that can be recalled$"):
        campaign_scope(ledger, REGULATOR, CampaignDraft("R-3", "fire risk", Scope(batch="B1")))


def test_search_shows_the_corrected_chemistry(ledger: Ledger, made: dict[str, Any]) -> None:
    found = workspace.search_packs(ledger, REGULATOR, pack(1))
    assert [(p.code, p.chemistry) for p in found.packs] == [(pack(1), "NCM")]


def test_warnings_weigh_a_corrected_incident_kind_and_count_corrected_figures(
    ledger: Ledger, actors: dict[str, Actor], made: dict[str, Any]
) -> None:
    maker = actors["catl"]
    incident = ledger.append_one(
        *maker.claim(pack(1), "incident", {"kind": "collision", "severity": "low", "description": "dented"})
    )
    assert warnings(ledger, REGULATOR, as_of=date(2026, 3, 2)).weighted_incidents == 1
    fix(ledger, maker, pack(1), incident.hash, {"kind": "thermal_event", "severity": "high"})
    report = warnings(ledger, REGULATOR, as_of=date(2026, 3, 2))
    assert (report.incidents, report.weighted_incidents) == (1, 3)
    with ledger.engine.connect() as conn:
        packs = warningrows.pack_groups(conn, date(2026, 3, 2), ())
        incidents = warningrows.incident_groups(conn, date(2026, 3, 2), "2026-03-03T00:00:00Z")
    assert sorted((g.batch, g.chemistry, g.packs, g.corrected) for g in packs) == [
        ("B2", "LFP", 1, 0),
        ("B2", "NCM", 1, 1),
    ]
    assert [(g.batch, g.chemistry, g.kind, g.incidents, g.corrected) for g in incidents] == [
        ("B2", "NCM", "thermal_event", 1, 1)
    ]


def test_recovery_counts_corrected_masses_and_names_the_correction(ledger: Ledger, actors: dict[str, Actor]) -> None:
    maker, recycler = actors["catl"], actors["gem-recycling"]
    code = pack(3)
    for actor, kind, data in ((maker, "produced", PRODUCED), (maker, "retired", {"reason": "end_of_life"}),
                              (maker, "shipped", {"to": "gem-recycling"}), (recycler, "received", {"from": "catl"}),
                              (recycler, "dismantled", {"outputs": []})):  # fmt: skip
        ledger.append_one(*actor.claim(code, kind, data))
    recycled = ledger.append_one(*recycler.claim(code, "recycled", RECYCLED))
    li = next(r for r in recovery(ledger, REGULATOR).rows if r.element == "Li")
    assert (li.rate, li.below, li.corrected, li.corrections) == (80.0, True, 0, [])
    correction = fix(ledger, recycler, code, recycled.hash, {"recovered_kg": {"Li": 4.75, "Co": 19.8}})
    rows = {r.element: r for r in recovery(ledger, REGULATOR).rows}
    assert (rows["Li"].recovered_kg, rows["Li"].rate, rows["Li"].below) == (4.75, 95.0, False)
    assert (rows["Li"].events, rows["Li"].corrected, rows["Li"].corrections) == (1, 1, [correction])
    totals = {r.element: r for r in recovery(ledger, REGULATOR).totals}
    assert (totals["Li"].rate, totals["Li"].corrections) == (95.0, [correction])
