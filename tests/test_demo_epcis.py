"""Issue 17, acceptance 2: every demo pack's EPCIS document, every recycler lot's, and every page of the
regulator's query over the whole log validates against GS1's EPCIS 2.0 JSON Schema, and every eventID
equals the hash GS1's reference package computes for the same event."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events
from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json
from sqlalchemy import Engine, text

from api import demo
from events.epcis import EventQuery
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.usecases.epcis import lot_document, pack_document, query_events
from tests.api.test_epcis import SCHEMA
from tests.support import regulator_caller

URL = "https://packtrace.demo.test"


@pytest.fixture
def province(engine: Engine) -> Iterator[Ledger]:
    ledger = Ledger(engine, LogSigner("demo.test/packtrace", Ed25519PrivateKey.generate()))
    ledger.init()
    demo.build(ledger, packs=120, sealing_key=bytes(32))
    yield ledger
    ledger.close()


def reference_hashes(doc: dict[str, Any]) -> list[str]:
    """The reference package's hashes of a document's events (an EPCISQueryDocument's read as a document's:
    the package reads `epcisBody.eventList`)."""
    events = doc["epcisBody"].get("eventList") or doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    with warnings.catch_warnings():  # the package reads its bundled context with a deprecated call
        warnings.simplefilter("ignore", DeprecationWarning)
        parsed = event_list_from_epcis_document_json(
            json.loads(json.dumps({**doc, "epcisBody": {"eventList": events}}))
        )
    hashes: list[str] = epcis_hashes_from_events(parsed)
    return hashes


def checked(validator: jsonschema_rs.Validator, doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The document's events, once it validates and its eventIDs are the reference's."""
    assert [str(error) for error in validator.iter_errors(doc)] == [], name
    events: list[dict[str, Any]] = (
        doc["epcisBody"].get("eventList") or doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    )
    assert [event["eventID"] for event in events] == reference_hashes(doc), name
    return events


@pytest.mark.slow
def test_every_demo_pack_lot_and_query_page_validates_and_hashes_as_the_reference(province: Ledger) -> None:
    validator = jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()))
    with province.engine.connect() as conn:
        rows = conn.execute(text("SELECT code FROM pack ORDER BY code")).all()
    codes = [row[0] for row in rows if not row[0].startswith("lot:")]
    lots = [row[0] for row in rows if row[0].startswith("lot:")]
    assert len(codes) >= 100 and len(lots) >= 2
    regulator, now = regulator_caller(), datetime.now(UTC)
    kinds: Counter[tuple[str, str]] = Counter()
    every: dict[str, dict[str, Any]] = {}
    for code in codes:
        events = checked(validator, pack_document(province, regulator, code, public_url=URL, now=now), code)
        every.update((event["eventID"], event) for event in events)
        kinds.update((event["type"], event["bizStep"]) for event in events)
    for lot in lots:
        events = checked(validator, lot_document(province, regulator, lot, public_url=URL, now=now), lot)
        assert [event["packtrace:entryType"] for event in events] in (
            ["packtrace:lot_opened"], ["packtrace:lot_opened", "packtrace:lot_recovered"],
        )  # fmt: skip
        every.update((event["eventID"], event) for event in events)
    assert {kind for kind, _ in kinds} == {"ObjectEvent", "AggregationEvent", "TransformationEvent"}

    # the regulator's query over the whole log, page by page: every event of every chain, once, in time order
    seen: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = query_events(province, regulator, EventQuery(), public_url=URL, now=now, per_page=250,
                            page_token=token)  # fmt: skip
        seen += checked(validator, page.document, f"page {len(seen) // 250}")
        token = page.next_page_token
        if token is None:
            break
    assert [event["eventID"] for event in seen] == list(dict.fromkeys(event["eventID"] for event in seen))
    assert {event["eventID"]: event for event in seen} == every
    times = [(datetime.fromisoformat(event["eventTime"]), event["packtrace:entryHash"]) for event in seen]
    assert [moment for moment, _ in times] == sorted(moment for moment, _ in times)
    lotted = {event["transformationID"] for event in seen if event["packtrace:entryType"] == "packtrace:lotted"}
    recovered = {e["transformationID"] for e in seen if e["packtrace:entryType"] == "packtrace:lot_recovered"}
    assert recovered and recovered <= lotted  # a lot's recovery carries the ID its packs went in with
