"""Federation under attack (docs/federation.md): what a retried or malformed arrival, a misbehaving peer or
a forged peer request must never do — replace the bundle the log names, record what the origin corrected
as it was before, date an arrival before its transfer, strand a pack whose peer has a long name, answer a
500, hold a regulator's page past its wait, or tell a stranger a pack's status."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.responses import Response, StreamingResponse

from api import peerfetch
from events.catalogue import EventType, parse_payload
from events.orgs import Role
from ledger.format import handover, note
from ledger.format.redaction import Redactor
from ledger.usecases.federation import parse_peers
from tests.api.platforms import ORIGIN_A, ORIGIN_B, PACK, PRODUCED, Federation, two_platforms
from tests.api.problem import assert_problem
from tests.api.served import served
from tests.api.test_federation import A_ROLES, B_ROLES, _recycled_in_b
from tests.support import code

pytestmark = pytest.mark.served


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    with two_platforms(tmp_path, A_ROLES, B_ROLES) as platforms:
        yield platforms


def origin_history(fed: Federation) -> dict[str, Any]:
    history = fed.b.http.get(f"/v1/packs/{PACK}/events", headers=fed.b.parties[Role.REGULATOR].auth)
    assert history.status_code == 200, history.text
    origin: dict[str, Any] = history.json()["origin_history"]
    return origin


def test_a_refused_retry_never_replaces_the_bundle_the_arrival_names(fed: Federation) -> None:
    fed.transfer()
    assert fed.arrive(fed.arrival(fed.fetch())).status_code == 201
    assert origin_history(fed)["verified"] is True
    maker = fed.a.parties[Role.MANUFACTURER]
    assert fed.a.post(maker, code(1799), "produced", PRODUCED, 20).status_code == 201  # A's checkpoint moves on
    again = fed.fetch()
    retry = fed.arrive(fed.arrival(again, hours=12))  # the receiver runs `handover receive` a second time
    assert retry.status_code == 422
    origin = origin_history(fed)
    assert (origin["verified"], origin["problem"]) == (True, None)


def _huge_index(proof: str) -> str:
    lines = proof.split("\n")
    lines[1] = "index " + "1" * 5000  # more digits than int() takes, and than any log has entries
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda proof: 123, "malformed tlog-proof: not text"),
        (_huge_index, "malformed tlog-proof: expected 'index <decimal>', found 'index " + "1" * 54 + "'"),
    ],
    ids=["not-text", "huge-index"],
)
def test_a_malformed_proof_in_the_document_is_refused_not_a_500(fed: Federation, change: Any, message: str) -> None:
    fed.transfer()
    document = fed.fetch()
    body = fed.arrival(document)
    body["handover"] = {**document, "proof": change(document["proof"])}
    refused = f"refused handover of pack {PACK}: the origin's proof of the transfer entry does not verify: {message}"
    assert_problem(fed.arrive(body), 422, "bad_handover", refused)
    assert fed.b.ledger.pack_state(PACK) is None


def test_a_redacted_bundle_in_the_document_is_refused_not_a_500(fed: Federation) -> None:
    fed.transfer()
    document = fed.fetch()
    redacted = fed.a.http.get(f"/v1/packs/{PACK}/bundle", headers=fed.a.parties[Role.MANUFACTURER].auth).json()
    assert redacted["format"] == "packtrace-redacted-bundle/3"
    body = fed.arrival(document)
    body["handover"] = {**document, "bundle": redacted}
    assert_problem(
        fed.arrive(body),
        422,
        "bad_handover",
        f"refused handover of pack {PACK}: the bundle is a packtrace-redacted-bundle/3, not the full bundle "
        "(packtrace-bundle/3)",
    )


def test_an_arrival_dated_before_its_transfer_is_refused(fed: Federation) -> None:
    fed.transfer()  # transferred at T0 + 5 h, 06:00 UTC
    document = fed.fetch()
    assert_problem(
        fed.arrive(fed.arrival(document, hours=4)),
        422,
        "bad_handover",
        "invalid 'arrived' payload: the arrival is dated 2026-03-02T05:00:00Z, before the origin's transfer "
        "(2026-03-02T06:00:00Z)",
    )
    assert fed.arrive(fed.arrival(document, hours=5)).status_code == 201  # at the transfer's moment: accepted


def test_b_records_the_production_facts_as_the_origin_corrected_them(fed: Federation) -> None:
    maker, regulator = fed.a.parties[Role.MANUFACTURER], fed.a.parties[Role.REGULATOR]
    fed.transfer()
    produced = fed.a.http.get(f"/v1/packs/{PACK}/events", headers=regulator.auth).json()["events"][0]
    fix = {"target": produced["hash"], "reason": "typo", "fields": {"batch": "B8"}}
    assert fed.a.post(maker, PACK, "corrected", fix, 6).status_code == 201  # after the transfer too
    document = fed.fetch()

    as_recorded = fed.arrival(document, produced=PRODUCED)  # the origin's `produced` entry as recorded, B7
    assert_problem(
        fed.arrive(as_recorded),
        422,
        "bad_handover",
        "invalid 'arrived' payload: data.produced differs from the origin's 'produced' facts as corrected in its "
        "bundle (batch: 'B8', not 'B7')",
    )
    arrival = fed.arrival(document)  # handover.arrival_produced: the facts as corrected, B8
    assert arrival["claim"]["data"]["produced"] == {**PRODUCED, "batch": "B8"}
    assert fed.arrive(arrival).status_code == 201
    listed = fed.b.http.get("/v1/packs", params={"batch": "B8"}, headers=fed.b.parties[Role.REGULATOR].auth)
    assert [pack["code"] for pack in listed.json()["packs"]] == [PACK]


def test_a_peer_with_a_long_origin_name_can_receive_an_arrival() -> None:
    origin = "packtrace.guangdong.new-energy-vehicles.example.cn/log"
    key = note.verifier_key(origin, Ed25519PrivateKey.generate().public_key())
    assert len(key) > 100 and parse_peers(f"{key}=https://gd.example")[0].origin == origin
    arrived = {"platform": origin, "platform_key": key, "transfer": {}, "proof": "x", "bundle_sha256": "0" * 64,
               "produced": {}, "manufacturer": "maker"}  # fmt: skip
    assert parse_payload(EventType.ARRIVED, arrived).platform_key == key  # type: ignore[attr-defined]


def test_a_peer_request_whose_time_is_not_ascii_digits_is_refused(fed: Federation) -> None:
    fed.transfer()
    _recycled_in_b(fed)
    text = handover.request_text("continuation", ORIGIN_B, PACK, 0).replace("\n0\n", "\n\u00b2\n")
    signed = note.sign_note(text, ORIGIN_A, fed.a.ledger.signer.private_key)
    header = base64.b64encode(signed.encode()).decode()
    answer = fed.b.http.get(f"/v1/packs/{PACK}/continuation", headers={handover.PEER_HEADER: header})
    assert answer.status_code == 403 and "the request time '²' is not within 300 s" in answer.json()["detail"]


def _deep() -> FastAPI:
    app = FastAPI()

    @app.get("/{path:path}")
    def deep(path: str) -> Response:
        return Response("[" * 200_000 + "]" * 200_000, 200, media_type="application/json")

    return app


def test_a_peer_answering_deeply_nested_json_is_unavailable_not_a_500(fed: Federation) -> None:
    fed.transfer()
    _recycled_in_b(fed)
    with served(_deep()) as url:
        fed.relay.target = url
        history = fed.a.http.get(f"/v1/packs/{PACK}/events", headers=fed.a.parties[Role.REGULATOR].auth)
        assert history.status_code == 200, history.text
        onward = history.json()["onward_history"]
        assert onward["available"] is False and "not JSON" in onward["problem"], onward


def _trickling() -> FastAPI:
    app = FastAPI()

    @app.get("/{path:path}")
    def trickle(path: str) -> StreamingResponse:
        time.sleep(0.9)  # the head comes just within one step's wait, then a byte just within each read's

        def chunks() -> Iterator[bytes]:
            for _ in range(3):
                yield b" "
                time.sleep(0.9)
            yield b"{}"

        return StreamingResponse(chunks(), media_type="application/json")

    return app


def test_a_trickling_peer_is_cut_off_at_the_whole_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peerfetch, "BRIEF_TIMEOUT_S", 1.0)
    with served(_trickling()) as url:
        started = time.monotonic()
        with pytest.raises(peerfetch.UnavailableError, match="cannot be reached: timed out"):
            peerfetch.fetch_json_briefly(url + "/v1/packs/x/continuation", {})
        assert time.monotonic() - started < 1.5  # the page's whole wait, not 1 s a step (3.6 s here)


def test_a_box_code_copied_into_an_arrival_is_withheld_below_the_authority_tier() -> None:
    """An arrival copies the origin's `produced` facts, a swap pack's box code among them (docs/swaps.md)."""
    produced = {**PRODUCED, "box_code": "NIO75KWH2026000123"}
    shown, withheld = Redactor().withhold("arrived", {"platform": ORIGIN_A, "produced": produced})
    assert (shown["produced"], withheld) == (PRODUCED, ["data.produced.box_code"])


def test_the_handover_document_tells_a_stranger_nothing_of_the_packs_status(fed: Federation) -> None:
    maker, automaker = fed.a.parties[Role.MANUFACTURER], fed.a.parties[Role.AUTOMAKER]
    assert fed.a.post(maker, code(1703), "produced", PRODUCED, 1).status_code == 201  # never handed over
    stranger = fed.a.http.get(f"/v1/packs/{code(1703)}/handover", headers=automaker.auth)
    assert_problem(stranger, 404, "not_handed_over", f"pack {code(1703)} has no handover document you may read")
    regulator = fed.a.http.get(f"/v1/packs/{code(1703)}/handover", headers=fed.a.parties[Role.REGULATOR].auth)
    assert_problem(
        regulator,
        404,
        "not_handed_over",
        f"pack {code(1703)} is produced: a handover document exists for a transferred or exported pack",
    )
