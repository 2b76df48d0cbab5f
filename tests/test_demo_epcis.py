"""Issue 17, acceptance 2: every demo pack's EPCIS document validates against GS1's EPCIS 2.0 JSON Schema,
and every eventID equals the hash GS1's reference package computes for the same event."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import jsonschema_rs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events
from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json
from sqlalchemy import Engine, text

from api import demo
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.usecases.epcis import pack_document
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


@pytest.mark.slow
def test_every_demo_pack_validates_and_hashes_as_the_reference(province: Ledger) -> None:
    validator = jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()))
    with province.engine.connect() as conn:
        rows = conn.execute(text("SELECT code FROM pack WHERE code NOT LIKE 'lot:%' ORDER BY code")).all()
    codes = [row[0] for row in rows]
    assert len(codes) >= 100
    kinds: Counter[tuple[str, str]] = Counter()
    for code in codes:
        doc = pack_document(province, regulator_caller(), code, public_url=URL, now=datetime.now(UTC))
        events = doc["epcisBody"]["eventList"]
        assert [str(error) for error in validator.iter_errors(doc)] == [], code
        with warnings.catch_warnings():  # the package reads its bundled context with a deprecated call
            warnings.simplefilter("ignore", DeprecationWarning)
            parsed = event_list_from_epcis_document_json(json.loads(json.dumps(doc)))
        assert [event["eventID"] for event in events] == epcis_hashes_from_events(parsed), code
        kinds.update((event["type"], event["bizStep"]) for event in events)
    assert {kind for kind, _ in kinds} == {"ObjectEvent", "AggregationEvent", "TransformationEvent"}
