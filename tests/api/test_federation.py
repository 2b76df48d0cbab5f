"""Issue 17, acceptance 3: two platforms, two databases, two log keys, both served (docs/federation.md).

A pack made in A, installed in a vehicle, retired and transferred to a recycler registered only in B
arrives in B with A's proof and is recycled there; A's compliance report does not list it as 流向不明; B's
regulator sees the whole life, both parts verified; B refuses an arrival whose proof was tampered with."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from markupsafe import escape as html_escape
from typer.testing import CliRunner

from api import peerfetch
from api.cli import app as cli
from events.errors import InvalidPayload
from events.orgs import Role
from ledger.format import handover, note
from ledger.usecases.bundles import make_bundle
from ledger.usecases.verify import verify_database
from tests.api.parties import party_org
from tests.api.platforms import (
    CONTROL,
    ORIGIN_A,
    ORIGIN_B,
    PACK,
    PRODUCED,
    Federation,
    one_byte_of_an_entry,
    tampered,
    two_platforms,
)
from tests.support import T0, Clock, code
from tests.web import recount as rc
from tests.web.login import login_cookie

pytestmark = pytest.mark.served

A_ROLES = [Role.MANUFACTURER, Role.AUTOMAKER, Role.REGULATOR]
B_ROLES = [Role.RECYCLER, Role.COLLECTOR, Role.REGULATOR]
RECYCLED = {"feed_mass_kg": 380.0, "content_kg": {"Li": 5.0, "Ni": 20.0}, "recovered_kg": {"Li": 4.6, "Ni": 19.7}}


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    with two_platforms(tmp_path, A_ROLES, B_ROLES) as platforms:
        yield platforms


def test_a_pack_made_in_a_is_recycled_in_b(fed: Federation) -> None:
    fed.transfer()
    a, b, recycler = fed.a, fed.b, fed.b.parties[Role.RECYCLER]
    regulator_a = a.parties[Role.REGULATOR]
    # A: transferred, accounted for
    pack = a.http.get(f"/v1/packs/{PACK}", headers=regulator_a.auth).json()
    assert (pack["status"], pack["eu_status"]) == ("transferred", "waste")
    assert fed.unaccounted_after(days=90) == [CONTROL]  # the control pack, retired and kept: 流向不明
    recount = rc.Recount({party_org(r).id: party_org(r) for r in A_ROLES}, rc.fetch_log(a.http, regulator_a.token))
    assert [p["pack"] for p in recount.unaccounted(T0 + timedelta(days=90))] == [CONTROL]  # the independent recount

    document = fed.fetch()
    assert (document["format"], document["origin"], document["code"]) == ("packtrace-handover/1", ORIGIN_A, PACK)
    assert (document["platform"], document["to"]) == (ORIGIN_B, "recycler")
    assert document["transfer"]["claim"]["type"] == "transferred"
    answer = fed.arrive(fed.arrival(document))
    assert answer.status_code == 201, answer.text
    assert answer.json()["seq"] == 0
    for hours, (kind, data) in enumerate(
        [("retired", {"reason": "end_of_life"}), ("dismantled", {"outputs": []}), ("recycled", RECYCLED)], start=11
    ):
        assert b.post(recycler, PACK, kind, data, hours).status_code == 201
    history = b.http.get(f"/v1/packs/{PACK}/events", headers=b.parties[Role.REGULATOR].auth).json()
    origin = history["origin_history"]
    assert (origin["platform"], origin["verified"], origin["problem"]) == (ORIGIN_A, True, None)
    assert [e["type"] for e in origin["entries"]] == [
        "produced", "shipped", "received", "installed", "retired", "transferred"
    ]  # fmt: skip
    assert [e["type"] for e in history["events"]] == ["arrived", "retired", "dismantled", "recycled"]
    assert b.http.get(f"/v1/packs/{PACK}/events", headers=recycler.auth).json()["origin_history"] is None
    state = b.http.get(f"/v1/packs/{PACK}", headers=recycler.auth).json()
    assert (state["status"], state["custodian"], state["chemistry"]) == ("recycled", "recycler", "LFP")
    assert verify_database(b.ledger.engine, b.ledger.signer.verifier_key).ok
    assert verify_database(a.ledger.engine, a.ledger.signer.verifier_key).ok
    recount_b = rc.Recount(
        {party_org(r).id: party_org(r) for r in B_ROLES}, rc.fetch_log(b.http, b.parties[Role.REGULATOR].token)
    )
    assert recount_b.packs[PACK].status == "recycled" and recount_b.unaccounted(T0 + timedelta(days=90)) == []


def test_a_peer_platform_reads_the_handover_only_with_its_signed_request(fed: Federation) -> None:
    fed.transfer()
    anonymous = fed.a.http.get(f"/v1/packs/{PACK}/handover")
    assert anonymous.status_code == 401
    automaker = fed.a.parties[Role.AUTOMAKER]
    assert fed.a.http.get(f"/v1/packs/{PACK}/handover", headers=automaker.auth).status_code == 200
    maker = fed.a.parties[Role.MANUFACTURER]
    refused = fed.a.http.get(f"/v1/packs/{PACK}/handover", headers=maker.auth)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "only a regulator, 'automaker' who handed the pack over, or the receiving platform may read the handover "
        f"of pack {PACK}; you are org 'manufacturer' (manufacturer)"
    )
    forged = fed.a.http.get(f"/v1/packs/{PACK}/handover", headers={"Packtrace-Peer": "bm90IGEgbm90ZQ=="})
    assert forged.status_code == 403
    assert forged.json()["code"] == "bad_peer_request"


REFUSED = "refused handover of pack {pack}: "
NOT_PROVEN = REFUSED + "the origin's proof of the transfer entry does not verify: "


@pytest.mark.parametrize(
    ("how", "message"),
    [
        (
            "proof_hash",
            NOT_PROVEN + "inclusion proof does not verify: computed root [0-9a-f]{{16}}… expected [0-9a-f]{{16}}…",
        ),
        (
            "checkpoint_signature",
            NOT_PROVEN + "signature by {origin}\\+[0-9a-f]{{8}} does not verify over the note text",
        ),
        ("transfer_to", REFUSED + "entry seq 5 \\(index [0-9]+\\): signature does not verify with key 'automaker/1'"),
    ],
)
def test_b_refuses_an_arrival_whose_proof_was_tampered_with(fed: Federation, how: str, message: str) -> None:
    fed.transfer()
    answer = fed.arrive(fed.arrival(tampered(fed.fetch(), how)))
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "bad_handover"
    assert re.fullmatch(message.format(pack=PACK, origin=re.escape(ORIGIN_A)), problem["detail"]), problem["detail"]
    assert fed.b.http.get(f"/v1/packs/{PACK}", headers=fed.b.parties[Role.RECYCLER].auth).status_code == 404


def test_b_refuses_a_claim_that_differs_from_the_document(fed: Federation) -> None:
    fed.transfer()
    document = fed.fetch()
    body = fed.arrival(document)
    body["claim"]["data"]["proof"] = tampered(document, "proof_hash")["proof"]
    body.update(fed.b.parties[Role.RECYCLER].claim(PACK, "arrived", body["claim"]["data"]))
    answer = fed.arrive(body)
    assert (answer.status_code, answer.json()["detail"]) == (
        422,
        "invalid 'arrived' payload: data.proof is not the handover document's proof",
    )
    transfer = {**document, "platform": "elsewhere.test/log"}
    answer = fed.arrive({**fed.arrival(document), "handover": transfer})
    assert answer.json()["detail"] == (
        f"refused handover of pack {PACK}: {ORIGIN_A!r} handed it to platform 'elsewhere.test/log', not to this "
        f"platform {ORIGIN_B!r}"
    )


def test_a_refuses_a_transfer_to_a_platform_it_does_not_know(fed: Federation) -> None:
    maker = fed.a.parties[Role.MANUFACTURER]
    assert fed.a.post(maker, PACK, "produced", PRODUCED, 0).status_code == 201
    answer = fed.a.post(maker, PACK, "transferred", {"platform": "gd.packtrace.test/log", "to": "x-recycler"}, 1)
    assert (answer.status_code, answer.json()["code"]) == (422, "unknown_peer")
    assert answer.json()["detail"] == (
        "invalid 'transferred' payload: data.platform: 'gd.packtrace.test/log' is not a peer platform of this one; "
        f"configured peers (PACKTRACE_PEERS): {ORIGIN_B}"
    )
    alone = fed.b.post(fed.b.parties[Role.RECYCLER], PACK, "arrived", {}, 2)
    assert (alone.status_code, alone.json()["code"]) == (422, "handover_required")


def test_b_regulator_sees_both_parts_verified(fed: Federation) -> None:
    fed.transfer()
    assert fed.arrive(fed.arrival(fed.fetch())).status_code == 201
    cookie = login_cookie(fed.b.http, fed.b.parties[Role.REGULATOR].token)
    page = fed.b.http.get(f"/regulator/packs/{PACK}", headers=cookie)
    assert page.status_code == 200, page.text
    html = page.text
    assert f"已按 {ORIGIN_A} 的日志公钥核验" in html
    assert "来源平台的记录：" in html and "本平台记录已核验" in html
    for name in ("生产", "装车", "退役", "移交外省平台", "外省移交接收"):
        assert name in html, name
    english = fed.b.http.get(f"/regulator/packs/{PACK}?lang=en", headers=cookie).text
    assert f"verified against {ORIGIN_A}&#39;s log key" in english
    assert f"manufacturer@{ORIGIN_A}</span> (the producer on the origin platform)" in english
    cookie_a = login_cookie(fed.a.http, fed.a.parties[Role.REGULATOR].token)
    origin_page = fed.a.http.get(f"/regulator/packs/{PACK}?lang=en", headers=cookie_a).text
    assert f"recycler@{ORIGIN_B}" in origin_page and "transferred to another platform" in origin_page


def _bundle_file(fed: Federation, tmp_path: Path) -> Path:
    bundle = fed.b.http.get(f"/v1/packs/{PACK}/bundle", headers=fed.b.parties[Role.REGULATOR].auth)
    assert bundle.status_code == 200
    path = tmp_path / "b-bundle.json"
    path.write_text(bundle.text, encoding="utf-8")
    return path


def test_verify_bundle_checks_the_origins_proof_under_a_trusted_peer_key(fed: Federation, tmp_path: Path) -> None:
    fed.transfer()
    assert fed.arrive(fed.arrival(fed.fetch())).status_code == 201
    path = _bundle_file(fed, tmp_path)
    runner = CliRunner()
    b_key, a_key = fed.b.ledger.signer.verifier_key, fed.a.ledger.signer.verifier_key
    trusted = runner.invoke(cli, ["verify-bundle", str(path), "--log-key", b_key, "--peer", a_key])
    assert trusted.exit_code == 0, trusted.output
    assert (
        f"OK: the origin part: the transfer entry is proven in {ORIGIN_A}'s log, verified against {ORIGIN_A}'s log "
        "key (--peer, --peer-policy)"
    ) in trusted.output
    policy = tmp_path / "peers.policy"
    policy.write_text(f"# the peer platforms B trusts\nlog {a_key}\nquorum none\n", encoding="utf-8")
    by_policy = runner.invoke(cli, ["verify-bundle", str(path), "--log-key", b_key, "--peer-policy", str(policy)])
    assert by_policy.exit_code == 0, by_policy.output
    assert f"verified against {ORIGIN_A}'s log key" in by_policy.output
    witnessed = tmp_path / "witnessed.policy"
    witness = note.verifier_key("w.test/witness", Ed25519PrivateKey.generate().public_key(), note.COSIGNATURE_V1_TYPE)
    witnessed.write_text(f"log {a_key}\nwitness w {witness}\nquorum w\n", encoding="utf-8")
    unwitnessed = runner.invoke(cli, ["verify-bundle", str(path), "--log-key", b_key, "--peer-policy", str(witnessed)])
    assert unwitnessed.exit_code == 1
    assert f"FAILED the origin part ({ORIGIN_A!r}) is unverified: " in " ".join(unwitnessed.output.split())
    untrusted = runner.invoke(cli, ["verify-bundle", str(path), "--log-key", b_key])
    assert untrusted.exit_code == 1
    assert (
        f"FAILED the origin part ({ORIGIN_A!r}) is unverified: its log key is not a trusted peer key (--peer; "
        "trusted: none)"
    ) in " ".join(untrusted.output.split())


def test_replay_and_verify_recheck_the_arrivals_proof(fed: Federation) -> None:
    """An arrival appended on the ledger directly (no service layer) is refused with a bad proof all the same."""
    fed.transfer()
    document = fed.fetch()
    body = fed.arrival(tampered(document, "proof_hash"))
    body["claim"]["data"]["transfer"] = document["transfer"]  # the document's transfer, a tampered proof
    with pytest.raises(InvalidPayload) as refused:
        fed.b.ledger.append_one(body["claim"], body["sig"])
    assert refused.value.message.startswith(
        f"refused arrival of pack {PACK}: the origin's proof of the transfer entry does not verify: inclusion proof "
        "does not verify: computed root "
    )
    assert refused.value.code == "bad_handover"
    good = fed.arrival(document)
    assert fed.b.ledger.append_one(good["claim"], good["sig"]).seq == 0
    assert verify_database(fed.b.ledger.engine, fed.b.ledger.signer.verifier_key).ok


def test_an_export_carries_the_passport_and_the_proof(fed: Federation) -> None:
    """Exports abroad (issue 17): the exported entry's proof, the bundle and the passport; no platform."""
    maker, regulator = fed.a.parties[Role.MANUFACTURER], fed.a.parties[Role.REGULATOR]
    assert fed.a.post(maker, PACK, "produced", PRODUCED, 0).status_code == 201
    assert fed.a.post(maker, PACK, "exported", {"destination": "DE"}, 1).status_code == 201
    answer = fed.a.http.get(f"/v1/packs/{PACK}/handover", headers=regulator.auth)
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert (document["platform"], document["to"], document["transfer"]["claim"]["type"]) == (None, None, "exported")
    assert document["passport"]["code"] == PACK
    assert document["proof"].startswith(f"c2sp.org/tlog-proof@v1\nindex {document['transfer']['index']}\n")
    signed = handover.sign_request(
        PACK, int(time.time()), ORIGIN_B, fed.b.ledger.signer.private_key, purpose="handover", audience=ORIGIN_A
    )
    peer = fed.a.http.get(f"/v1/packs/{PACK}/handover", headers={"Packtrace-Peer": signed})
    assert (peer.status_code, peer.json()["detail"]) == (
        403,
        f"platform {ORIGIN_B!r} may not read the handover of pack {PACK}: it was exported, not handed over to a "
        "platform",
    )
    assert fed.a.http.get(f"/v1/packs/{code(2)}/handover", headers=regulator.auth).status_code == 404


def test_the_arrived_packs_passport_and_epcis_on_b(fed: Federation) -> None:
    fed.transfer()
    assert fed.arrive(fed.arrival(fed.fetch())).status_code == 201
    regulator = fed.b.parties[Role.REGULATOR]
    passport = fed.b.http.get(f"/v1/packs/{PACK}/passport", headers=regulator.auth).json()
    assert passport["passport"]["identification"]["chemistry"] == "LFP"
    assert passport["passport"]["performance"]["rated"]["energy"] == {"value": 60.0}
    arrival = passport["record"][0]
    assert (arrival["type"], arrival["data"]) == ("arrived", {"platform": ORIGIN_A, "manufacturer": "manufacturer"})
    epcis = fed.b.http.get(f"/v1/packs/{PACK}/epcis", headers=regulator.auth)
    assert epcis.status_code == 200
    (event,) = epcis.json()["epcisBody"]["eventList"]
    assert (event["bizStep"], event["disposition"]) == ("arriving", "in_progress")
    public = fed.a.http.get(f"/v1/packs/{PACK}").json()
    assert public["status"] == "transferred"


def test_verify_names_an_arrival_whose_transfer_names_another_platform(fed: Federation) -> None:
    """Appended on the ledgers directly (no service layer, which refuses both), a transfer to a third platform
    and its arrival here: the proof verifies, but `packtrace verify` names the transfer's platform."""
    maker, regulator = fed.a.parties[Role.MANUFACTURER], fed.a.parties[Role.REGULATOR]
    elsewhere = {"platform": "gd.packtrace.test/log", "to": "recycler"}
    for hours, (kind, data) in enumerate([("produced", PRODUCED), ("transferred", elsewhere)]):
        posted = maker.claim(PACK, kind, data, at=T0 + timedelta(hours=hours))
        fed.a.ledger.append_one(posted["claim"], posted["sig"])
    document = fed.a.http.get(f"/v1/packs/{PACK}/handover", headers=regulator.auth).json()
    arrival = fed.arrival(document)
    fed.b.ledger.append_one(arrival["claim"], arrival["sig"])
    report = verify_database(fed.b.ledger.engine, fed.b.ledger.signer.verifier_key)
    assert [str(problem) for problem in report.problems] == [
        f"step 5: arrival of pack {PACK}: the transfer names platform 'gd.packtrace.test/log', not {ORIGIN_B!r}"
    ]


def test_the_cli_receives_a_pack_from_the_origin(fed: Federation, tmp_path: Path) -> None:
    """`packtrace handover receive`: B's server fetches and verifies, the recycler's key signs the arrival."""
    fed.transfer()
    fed.b.ledger.clock = Clock(datetime.now(UTC))  # the command dates the arrival now
    recycler = fed.b.parties[Role.RECYCLER]
    key_file = tmp_path / "recycler.key"
    key_file.write_bytes(
        recycler.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    args = ["handover", "receive", PACK, "--from", ORIGIN_A, "--origin-key", fed.a.ledger.signer.verifier_key]
    args += ["--actor", recycler.id, "--key-id", recycler.key_id, "--key-file", str(key_file)]
    args += ["--token", recycler.token, "--url", fed.b.url, "--save", str(tmp_path / "handover.json")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"OK: pack {PACK} arrived from {ORIGIN_A} (entry ")
    assert f"verified against {ORIGIN_A}'s log key" in result.stdout
    assert json.loads((tmp_path / "handover.json").read_text(encoding="utf-8"))["code"] == PACK
    state = fed.b.http.get(f"/v1/packs/{PACK}", headers=recycler.auth).json()
    assert (state["status"], state["custodian"]) == ("in_stock", "recycler")
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1
    assert "illegal_transition" in again.stderr and "'arrived' is only its first event" in again.stderr


# -- the origin's regulator sees the continuation (docs/federation.md §6) -------------------------------

PACK2 = code(1703)  # a second pack handed over to B
B_PART = ["arrived", "retired", "dismantled", "recycled"]


def _recycled_in_b(fed: Federation, pack: str = PACK) -> None:
    assert fed.arrive(fed.arrival(fed.fetch(pack))).status_code == 201
    recycler = fed.b.parties[Role.RECYCLER]
    for hours, (kind, data) in enumerate(
        [("retired", {"reason": "end_of_life"}), ("dismantled", {"outputs": []}), ("recycled", RECYCLED)], start=11
    ):
        assert fed.b.post(recycler, pack, kind, data, hours).status_code == 201


def _onward(fed: Federation) -> dict[str, object]:
    history = fed.a.http.get(f"/v1/packs/{PACK}/events", headers=fed.a.parties[Role.REGULATOR].auth)
    assert history.status_code == 200, history.text
    onward: dict[str, object] = history.json()["onward_history"]
    return onward


def _a_page(fed: Federation, lang: str = "zh") -> str:
    cookie = login_cookie(fed.a.http, fed.a.parties[Role.REGULATOR].token)
    page = fed.a.http.get(f"/regulator/packs/{PACK}?lang={lang}", headers=cookie)
    assert page.status_code == 200, page.text
    return page.text


def test_a_regulator_sees_the_packs_life_on_b_verified(fed: Federation) -> None:
    fed.transfer()
    _recycled_in_b(fed)
    onward = _onward(fed)
    assert (onward["platform"], onward["available"], onward["verified"], onward["problem"]) == (
        ORIGIN_B, True, True, None
    )  # fmt: skip
    assert isinstance(onward["entries"], list)
    assert [(e["type"], e["actor"]) for e in onward["entries"]] == [(kind, "recycler") for kind in B_PART]
    automaker = fed.a.http.get(f"/v1/packs/{PACK}/events", headers=fed.a.parties[Role.AUTOMAKER].auth).json()
    assert automaker["onward_history"] is None  # the authority tier only
    on_b = fed.b.http.get(f"/v1/packs/{PACK}/events", headers=fed.b.parties[Role.REGULATOR].auth).json()
    assert on_b["onward_history"] is None
    html = _a_page(fed)
    own, _, onward_html = html.partition('id="onward-part"')
    assert "本平台记录已核验" in own and "移交外省平台" in own
    assert f"接收平台的记录：{ORIGIN_B}" in onward_html
    assert f"已按 {ORIGIN_B} 的日志公钥核验" in onward_html
    for name in ("外省移交接收", "退役", "拆解", "再生利用"):
        assert name in onward_html, name
    assert f"recycler@{ORIGIN_B}" in onward_html
    english = _a_page(fed, "en").partition('id="onward-part"')[2]
    assert f"The receiving platform&#39;s record: {ORIGIN_B}" in english
    assert f"verified against {ORIGIN_B}&#39;s log key" in english
    assert "received from another platform" in english and "recycled" in english


def test_b_serves_the_continuation_only_to_the_platform_the_pack_came_from(fed: Federation) -> None:
    fed.transfer()
    _recycled_in_b(fed)
    url = f"/v1/packs/{PACK}/continuation"
    unsigned = fed.b.http.get(url)
    assert (unsigned.status_code, unsigned.json()["detail"]) == (
        401,
        "reading a pack's continuation takes a request signed by the origin platform's log key (Packtrace-Peer)",
    )
    now = int(time.time())
    to_b = {"purpose": "continuation", "audience": ORIGIN_B}
    signed = handover.sign_request(PACK, now, ORIGIN_A, fed.a.ledger.signer.private_key, **to_b)
    by_a = fed.b.http.get(url, headers={"Packtrace-Peer": signed})
    assert by_a.status_code == 200
    assert [e["claim"]["type"] for e in by_a.json()["entries"]] == B_PART
    # a note is good for one endpoint of one platform: not replayed to another endpoint, nor to another platform
    for purpose, audience, said in [
        ("handover", ORIGIN_B, "the request is to read the 'handover', not the continuation"),
        (
            "continuation",
            "gd.packtrace.test/log",
            f"the request is addressed to 'gd.packtrace.test/log', not to this platform {ORIGIN_B!r}",
        ),
    ]:
        elsewhere = handover.sign_request(
            PACK, now, ORIGIN_A, fed.a.ledger.signer.private_key, purpose=purpose, audience=audience
        )
        replayed = fed.b.http.get(url, headers={"Packtrace-Peer": elsewhere})
        assert (replayed.status_code, replayed.json()["detail"]) == (
            403,
            f"refused peer request: Packtrace-Peer: {said}",
        )
    stale = handover.sign_request(PACK, now - 301, ORIGIN_A, fed.a.ledger.signer.private_key, **to_b)
    late = fed.b.http.get(url, headers={"Packtrace-Peer": stale})
    assert (late.status_code, late.json()["code"]) == (403, "bad_peer_request")
    assert late.json()["detail"] == (
        f"refused peer request: Packtrace-Peer: the request time '{now - 301}' is not within 300 s of "
        f"{late.json()['detail'].rsplit(' ', 1)[1]}"
    )
    other = handover.sign_request(PACK, now, ORIGIN_B, fed.b.ledger.signer.private_key, **to_b)  # not a peer of B
    assert fed.b.http.get(url, headers={"Packtrace-Peer": other}).json()["code"] == "bad_peer_request"
    unknown = handover.sign_request(code(1709), now, ORIGIN_A, fed.a.ledger.signer.private_key, **to_b)
    missing = fed.b.http.get(f"/v1/packs/{code(1709)}/continuation", headers={"Packtrace-Peer": unknown})
    assert (missing.status_code, missing.json()["code"]) == (404, "unknown_pack")
    from_b = handover.sign_request(
        PACK, now, ORIGIN_B, fed.b.ledger.signer.private_key, purpose="continuation", audience=ORIGIN_A
    )
    on_a = fed.a.http.get(url, headers={"Packtrace-Peer": from_b})  # A made it: B may not read it as its origin
    assert (on_a.status_code, on_a.json()["detail"]) == (
        403,
        f"platform {ORIGIN_B!r} may not read the continuation of pack {PACK}: it did not arrive from another platform",
    )


def test_a_regulator_is_told_when_bs_part_does_not_verify(fed: Federation, tmp_path: Path) -> None:
    """What B returns is tampered with (through the relay A reaches B by): a byte of an entry, another pack's
    bundle, a bundle of this pack whose arrival names another transfer (a fork of both logs, same keys)."""
    fed.transfer()
    _recycled_in_b(fed)
    fed.transfer(PACK2)
    assert fed.arrive(fed.arrival(fed.fetch(PACK2))).status_code == 201
    (tmp_path / "fork").mkdir()
    with two_platforms(tmp_path / "fork", A_ROLES, B_ROLES, (fed.a.ledger.signer, fed.b.ledger.signer)) as fork:
        fork.transfer()
        _recycled_in_b(fork)
        forked = make_bundle(fork.b.ledger, PACK)
    own = fed.a.http.get(f"/v1/packs/{PACK}/events", headers=fed.a.parties[Role.REGULATOR].auth).json()["events"][-1]
    named = handover.transfer_hash(forked["entries"][0]["claim"]["data"]["transfer"])
    recycled_index = make_bundle(fed.b.ledger, PACK)["entries"][-1]["index"]
    cases = [
        (
            one_byte_of_an_entry,
            f"entry seq 3 (index {recycled_index}): signature does not verify with key 'recycler/1'",
        ),
        (lambda _: make_bundle(fed.b.ledger, PACK2), f"the bundle is of pack {PACK2}, not {PACK}"),
        (
            lambda _: forked,
            f"the arrival names the transfer entry {named[:16]}…, not this platform's transfer entry "
            f"{own['hash'][:16]}… (index {own['index']})",
        ),
    ]
    assert named != own["hash"]
    for change, message in cases:
        fed.relay.change = change
        onward = _onward(fed)
        assert (onward["available"], onward["verified"], onward["problem"]) == (True, False, message)
        html = _a_page(fed).partition('id="onward-part"')[2]
        assert "接收平台的记录未能核验：" in html and "已按" not in html
        assert str(html_escape(message)) in html
        english = _a_page(fed, "en").partition('id="onward-part"')[2]
        assert "The receiving platform&#39;s record is not verified:" in english
    fed.relay.change = None
    assert _onward(fed)["verified"] is True


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([1, 2], "not a packtrace-bundle/3 bundle (found 'list')"),
        ({"format": "packtrace-bundle/3", "entries": [1]}, "malformed bundle: KeyError('checkpoint')"),
        (
            {"format": "packtrace-redacted-bundle/3"},
            "not a packtrace-bundle/3 bundle (found 'packtrace-redacted-bundle/3')",
        ),
    ],
)
def test_a_regulator_is_told_when_b_answers_something_else(fed: Federation, answer: Any, message: str) -> None:
    fed.transfer()
    _recycled_in_b(fed)
    fed.relay.change = lambda _: answer
    onward = _onward(fed)
    assert (onward["available"], onward["verified"], onward["problem"], onward["entries"]) == (True, False, message, [])
    assert "接收平台的记录未能核验：" in _a_page(fed)


def test_a_regulator_sees_bs_part_unavailable_when_b_is_down(fed: Federation) -> None:
    fed.transfer()
    _recycled_in_b(fed)
    fed.relay.stop()
    onward = _onward(fed)
    assert (onward["available"], onward["verified"], onward["entries"]) == (False, False, [])
    assert isinstance(onward["problem"], str)
    assert re.fullmatch(
        f"the peer platform at http://127\\.0\\.0\\.1:[0-9]+/v1/packs/{PACK}/continuation cannot be reached: "
        "\\[Errno 111\\] Connection refused",
        onward["problem"],
    ), onward["problem"]
    html = _a_page(fed)
    assert "接收平台的记录暂不可用：" in html and str(html_escape(onward["problem"])) in html
    assert "The receiving platform&#39;s record is unavailable:" in _a_page(fed, "en")
    assert "本平台记录已核验" in html  # A's own part is shown and verified all the same


def test_a_regulator_sees_bs_part_unavailable_when_b_is_too_slow(
    fed: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page waits at most BRIEF_TIMEOUT_S (5 s; 0.2 s here) for B's answer."""
    fed.transfer()
    _recycled_in_b(fed)
    monkeypatch.setattr(peerfetch, "BRIEF_TIMEOUT_S", 0.2)

    def slowly(bundle: Any) -> Any:
        time.sleep(1)
        return bundle

    fed.relay.change = slowly
    onward = _onward(fed)
    assert (onward["available"], onward["verified"]) == (False, False)
    assert isinstance(onward["problem"], str)
    assert re.fullmatch(
        f"the peer platform at http://127\\.0\\.0\\.1:[0-9]+/v1/packs/{PACK}/continuation cannot be reached: timed out",
        onward["problem"],
    ), onward["problem"]
