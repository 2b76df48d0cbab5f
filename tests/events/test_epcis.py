"""events.epcis: each entry type's EPCIS event, and the GS1 event hash against the reference package."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events
from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json

from events import epcis
from events.catalogue import EventType
from events.lots import LotEventType

URL = "https://trace.example.cn"
PACK = "001PB12ABCDEFGG1F0000001"
MODULES, CELLS = ["001MB12ABCDEFGG1F0000001", "001MB12ABCDEFGG1F0000002"], ["001CB12ABCDEFGG1F0000001"]
SECOND = "001PB12ABCDEFGG1F00001RP"


LOT = "lot:recycler-b:L1"


def facts(kind: str, data: dict[str, Any], *, actor: str | None = "maker-a", seq: int = 0) -> epcis.EntryFacts:
    """An entry of the pack's chain, or of the lot's for the lot's own event types."""
    subject = LOT if kind in set(LotEventType) else PACK
    return epcis.EntryFacts(
        code=subject, entry_type=kind, at="2026-03-01T02:00:00Z", recorded_at="2026-03-01T02:00:01.250000Z",
        entry_hash=f"{seq:064x}", seq=seq, data=data, actor=actor,
    )  # fmt: skip


# (entry type, payload) → [(eventType, action, bizStep, disposition), …]
CASES: list[tuple[str, dict[str, Any], list[tuple[str, str | None, str, str | None]]]] = [
    ("produced", {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 400.0},
     [("ObjectEvent", "ADD", "commissioning", "active")]),
    ("produced", {"chemistry": "NCM", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 400.0,
                  "modules": MODULES, "cells": CELLS, "module_cells": {MODULES[0]: CELLS}},
     [("AggregationEvent", "ADD", "assembling", "active")]),
    ("shipped", {"to": "recycler-b", "waybill": "SF 0071"}, [("ObjectEvent", "OBSERVE", "shipping", "in_transit")]),
    ("received", {"from": "maker-a"}, [("ObjectEvent", "OBSERVE", "receiving", "in_progress")]),
    ("installed", {"vin": "LSVAU2180N2183294"}, [("ObjectEvent", "OBSERVE", "installing", "active")]),
    ("removed", {"reason": "retirement"}, [("ObjectEvent", "OBSERVE", "removing", "inactive")]),
    ("serviced", {"description": "换了冷却液", "remanufactured": False},
     [("ObjectEvent", "OBSERVE", "repairing", "active")]),
    ("serviced", {"description": "module swap", "replaced_modules": [{"old": MODULES[0], "new": MODULES[1]}]},
     [("AggregationEvent", "DELETE", "replacing", None), ("AggregationEvent", "ADD", "replacing", "active")]),
    ("retired", {"reason": "end_of_life"}, [("ObjectEvent", "OBSERVE", "decommissioning", "inactive")]),
    ("inspected", {"soh_pct": 82.5, "verdict": "reuse"}, [("ObjectEvent", "OBSERVE", "inspecting", "conformant")]),
    ("inspected", {"soh_pct": 61.0, "verdict": "repurpose"},
     [("ObjectEvent", "OBSERVE", "inspecting", "non_conformant")]),
    ("repurposed", {"into": [SECOND]}, [("TransformationEvent", None, "other", "active")]),
    ("dismantled", {"outputs": [{"kind": "module", "code": MODULES[0], "mass_kg": 20.0},
                                {"kind": "material", "name": "casing", "mass_kg": 30.0}]},
     [("TransformationEvent", None, "disassembling", "destroyed")]),
    ("recycled", {"feed_mass_kg": 300.0, "content_kg": {"Li": 3.5, "Ni": 10.0}, "recovered_kg": {"Li": 3.0}},
     [("TransformationEvent", None, "destroying", "destroyed")]),
    ("lotted", {"lot": LOT}, [("TransformationEvent", None, "destroying", "destroyed")]),
    ("lot_opened", {"black_mass": [{"mass_kg": 500.0, "content_kg": {"Ni": 60.0}, "origin": "KR",
                                    "customs_declaration": "310120251000000001"}]},
     [("ObjectEvent", "ADD", "commissioning", "active")]),
    ("lot_recovered", {"packs": [PACK], "content_kg": {"Ni": 75.0}, "recovered_kg": {"Ni": 74.0}},
     [("TransformationEvent", None, "destroying", "destroyed")]),
    ("incident", {"kind": "flood", "severity": "high", "description": "水淹"},
     [("ObjectEvent", "OBSERVE", "other", "damaged")]),
    ("recalled", {"campaign": "R-2026-01", "reason": "BMS"}, [("ObjectEvent", "OBSERVE", "holding", "recalled")]),
    ("corrected", {"target": "a" * 64, "reason": "typo", "fields": {"waybill": "SF1"}},
     [("ObjectEvent", "OBSERVE", "other", None)]),
    ("lost", {"reason": "not found"}, [("ObjectEvent", "OBSERVE", "other", "unknown")]),
    ("passport", {"attributes": {"characteristics": {"warranty": {"lifeValue": 8, "lifeUnit": "unit:year"}},
                                 "commercial": {"purpose": ["automotive"]}}},
     [("ObjectEvent", "OBSERVE", "other", None)]),
    ("exported", {"destination": "DE"}, [("ObjectEvent", "OBSERVE", "departing", "in_transit")]),
    ("found", {"custodian": "recycler-b", "note": "back"}, [("ObjectEvent", "OBSERVE", "other", "active")]),
    ("swapped", {"direction": "out", "vin": "LSVAU2180N2183294", "partner": SECOND},
     [("ObjectEvent", "OBSERVE", "removing", "available")]),
    ("swapped", {"direction": "in", "vin": "LSVAU2180N2183294", "partner": SECOND},
     [("ObjectEvent", "OBSERVE", "installing", "active")]),
    ("ownership_transferred", {"to": "lessor-c"}, [("ObjectEvent", "OBSERVE", "other", None)]),
    ("leased", {"lessee": "fleet-d", "until": "2027-01-01"}, [("ObjectEvent", "OBSERVE", "other", "active")]),
    ("lease_ended", {"reason": "expired"}, [("ObjectEvent", "OBSERVE", "other", None)]),
    ("transferred", {"platform": "hb.example/log", "to": "hb-recycler"},
     [("ObjectEvent", "OBSERVE", "departing", "in_transit")]),
    ("arrived", {"platform": "fj.example/log", "bundle_sha256": "b" * 64, "manufacturer": "catl",
                 "produced": {"chemistry": "LFP", "mass_kg": 400.0}},
     [("ObjectEvent", "OBSERVE", "arriving", "in_progress")]),
]  # fmt: skip


CASE_OF = {kind: (kind, data) for kind, data, _ in CASES}


def shape(event: dict[str, Any]) -> tuple[str, str | None, str, str | None]:
    return event["type"], event.get("action"), event["bizStep"], event.get("disposition")


def reference(events: list[dict[str, Any]]) -> list[str]:
    doc = epcis.document(events, URL, "2026-03-01T03:00:00Z")
    with warnings.catch_warnings():  # the package reads its bundled context with a deprecated call
        warnings.simplefilter("ignore", DeprecationWarning)
        parsed = event_list_from_epcis_document_json(json.loads(json.dumps(doc)))
    hashes: list[str] = epcis_hashes_from_events(parsed)
    return hashes


def test_every_entry_type_has_a_step() -> None:
    assert set(epcis.STEPS) == {str(kind) for kind in EventType} | {str(kind) for kind in LotEventType}
    assert {kind for kind, _, _ in CASES} == set(epcis.STEPS)


@pytest.mark.parametrize(("kind", "data", "expected"), CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)])
def test_each_entry_maps_to_its_event_and_hashes_as_the_reference(
    kind: str, data: dict[str, Any], expected: list[tuple[str, str | None, str, str | None]]
) -> None:
    events = epcis.epcis_events(facts(kind, data), URL)

    assert [shape(event) for event in events] == expected
    assert [event["eventID"] for event in events] == reference(events)
    assert all(event["packtrace:entryType"] == f"packtrace:{kind}" for event in events)
    assert all(event["eventTime"] == "2026-03-01T10:00:00+08:00" for event in events)


def test_the_pack_is_named_by_its_public_page() -> None:
    (event,) = epcis.epcis_events(facts("shipped", {"to": "recycler-b"}), URL)
    assert event["epcList"] == [f"{URL}/p/{PACK}"]
    assert event["bizLocation"] == {"id": f"{URL}/v1/orgs/maker-a"}
    assert event["packtrace:to"] == "recycler-b"


def test_an_assembled_pack_lists_its_modules_and_cells() -> None:
    data = dict(CASES[1][1])
    (event,) = epcis.epcis_events(facts("produced", data), URL)
    assert event["parentID"] == f"{URL}/p/{PACK}"
    assert event["childEPCs"] == [f"{URL}/p/{code}" for code in [*MODULES, *CELLS]]


def test_a_module_replacement_takes_the_old_out_and_puts_the_new_in() -> None:
    out, into = epcis.epcis_events(facts(*CASES[7][:2]), URL)
    assert (out["childEPCs"], into["childEPCs"]) == ([f"{URL}/p/{MODULES[0]}"], [f"{URL}/p/{MODULES[1]}"])
    assert (out["packtrace:part"], into["packtrace:part"]) == (1, 2)
    assert out["eventID"] != into["eventID"]


def test_transformations_link_inputs_to_outputs() -> None:
    (repurposed,) = epcis.epcis_events(facts("repurposed", {"into": [SECOND]}), URL)
    (lotted,) = epcis.epcis_events(facts("lotted", {"lot": LOT}), URL)
    (recycled,) = epcis.epcis_events(facts(*CASES[13][:2], seq=7), URL)
    assert (repurposed["inputEPCList"], repurposed["outputEPCList"]) == ([f"{URL}/p/{PACK}"], [f"{URL}/p/{SECOND}"])
    assert lotted["transformationID"] == f"{URL}/v1/epcis/lots/recycler-b/L1"
    assert recycled["transformationID"] == f"ni:///sha-256;{7:064x}" and "outputEPCList" not in recycled


def test_the_hash_changes_with_any_hashed_member() -> None:
    (event,) = epcis.epcis_events(facts("shipped", {"to": "recycler-b"}), URL)
    ns = epcis.namespace(URL)
    for key, value in (("bizStep", "receiving"), ("eventTime", "2026-03-01T10:00:01+08:00"),
                       ("packtrace:to", "recycler-c"), ("epcList", [f"{URL}/p/{SECOND}"])):  # fmt: skip
        assert epcis.event_hash_id({**event, key: value}, ns) != event["eventID"], key
    assert epcis.event_hash_id({**event, "recordTime": "2030-01-01T00:00:00Z"}, ns) == event["eventID"]


def test_one_document_of_every_case_hashes_as_the_reference() -> None:
    """The reference reads bare strings against the document's CBV URIs: a payload word that is also a CBV
    word (`other`, `recalled`) is written as a packtrace term so that it is not taken for the CBV one."""
    entries = [facts(kind, data, seq=n) for n, (kind, data, _) in enumerate(CASES)]
    events = [event for entry in entries for event in epcis.epcis_events(entry, URL)]
    events += epcis.epcis_events(facts("retired", {"reason": "other"}, seq=99), URL)

    assert [event["eventID"] for event in events] == reference(events)
    assert events[-1]["packtrace:reason"] == "packtrace:other"
    assert len({event["eventID"] for event in events}) == len(events)


def test_a_lots_chain_shares_the_transformation_id_of_the_packs_put_into_it() -> None:
    lot_epc = f"{URL}/v1/epcis/lots/recycler-b/L1"
    (opened,) = epcis.epcis_events(facts(*CASE_OF["lot_opened"]), URL)
    (lotted,) = epcis.epcis_events(facts("lotted", {"lot": LOT}), URL)
    (recovered,) = epcis.epcis_events(facts(*CASE_OF["lot_recovered"], seq=1), URL)
    assert opened["epcList"] == [lot_epc]
    assert (lotted["inputEPCList"], lotted["transformationID"]) == ([f"{URL}/p/{PACK}"], lot_epc)
    assert (recovered["inputEPCList"], recovered["transformationID"]) == ([lot_epc], lot_epc)
    assert recovered["packtrace:packs"] == [PACK] and recovered["packtrace:recovered_kg"] == {"Ni": 74.0}


@pytest.mark.parametrize(
    ("query", "types"),
    [
        (epcis.EventQuery(), tuple(epcis.STEPS)),
        (epcis.EventQuery(biz_steps=("assembling",)), ("produced",)),
        (epcis.EventQuery(biz_steps=("https://ref.gs1.org/cbv/BizStep-removing",)), ("removed", "swapped")),
        (epcis.EventQuery(event_types=("AggregationEvent",)), ("produced", "serviced")),
        (epcis.EventQuery(actions=("DELETE",)), ("serviced",)),
        (epcis.EventQuery(event_types=("TransformationEvent",), biz_steps=("destroying",)),
         ("recycled", "lotted", "lot_recovered")),
        (epcis.EventQuery(biz_steps=("shipping",), actions=("ADD",)), ()),
        (epcis.EventQuery(biz_steps=("no-such-step",)), ()),
    ],
)  # fmt: skip
def test_a_query_names_the_entry_types_whose_events_may_answer_it(
    query: epcis.EventQuery, types: tuple[str, ...]
) -> None:
    assert epcis.entry_types(query) == types


def test_an_event_matches_a_query_by_action_and_record_time() -> None:
    (event,) = epcis.epcis_events(facts("shipped", {"to": "recycler-b"}), URL)  # recorded 02:00:01.25 UTC
    assert epcis.matches(event, epcis.EventQuery(actions=("OBSERVE",)))
    assert not epcis.matches(event, epcis.EventQuery(actions=("ADD",)))
    assert epcis.matches(event, epcis.EventQuery(ge_record_time="2026-03-01T10:00:01.25+08:00"))
    assert not epcis.matches(event, epcis.EventQuery(lt_record_time="2026-03-01T02:00:01.25Z"))
