"""Issue 11, items 7 and 9: what a lower tier may read of a pack's record (history and bundle), and reads
that stay bounded however long a pack's chain grows."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from typing import Any

import anyio.from_thread
import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from api.cli import app as cli
from api.client import PacktraceClient
from events.orgs import Role
from ledger.format.bundle import REDACTED_FORMAT, verify_bundle
from ledger.log import Ledger
from ledger.usecases import bundles as bundle_module
from tests.api.inprocess import InProcessTransport
from tests.api.parties import OTHER_VIN, VIN, Party
from tests.api.problem import assert_problem
from tests.api.scenario import code, in_vehicle, post

LONG = 1_204  # incidents added to a pack in a vehicle: a chain of 1,208 entries


def history(client: httpx.Client, party: Party, pack: str = code(1)) -> list[dict[str, Any]]:
    response = client.get(f"/v1/packs/{pack}/events", params={"limit": 1000}, headers=party.auth)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def incidents(ledger: Ledger, party: Party, pack: str, count: int, *, start: int = 0) -> None:
    """`count` incidents on `pack` by `party`, through the ledger directly (fast)."""
    data = {"kind": "other", "severity": "low", "description": "checked"}
    for first in range(start, start + count, 5_000):
        items = []
        for n in range(first, min(start + count, first + 5_000)):
            body = party.claim(pack, "incident", {**data, "description": f"check {n}"})
            items.append((body["claim"], body["sig"]))
        ledger.append(items, as_org=party.id)


@pytest.fixture
def long_pack(client: httpx.Client, parties: dict[Role, Party], ledger: Ledger) -> list[str]:
    hashes = in_vehicle(client, parties, 1)
    incidents(ledger, parties[Role.AUTOMAKER], code(1), LONG)
    return hashes


def collected(client: httpx.Client, parties: dict[Role, Party]) -> list[str]:
    """code(1) in a vehicle, then retired and handed to the collector: 8 entry hashes."""
    hashes = in_vehicle(client, parties, 1)
    automaker, collector = parties[Role.AUTOMAKER], parties[Role.COLLECTOR]
    pack = code(1)
    hashes.append(post(client, automaker, automaker.claim(pack, "removed", {"reason": "retirement"})))
    hashes.append(post(client, automaker, automaker.claim(pack, "retired", {"reason": "end_of_life"})))
    shipment = {"to": collector.id, "waybill": "YT-777"}
    hashes.append(post(client, automaker, automaker.claim(pack, "shipped", shipment)))
    hashes.append(post(client, collector, collector.claim(pack, "received", {"from": automaker.id})))
    return hashes


# -- item 7: the history without personal data -----------------------------------------------------------


@pytest.mark.usefixtures("corrections_as_recorded")
def test_item7_history_withholds_nested_and_differently_cased_personal_fields(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    hashes = in_vehicle(client, parties, 1)
    automaker = parties[Role.AUTOMAKER]
    fields = {
        "VIN": OTHER_VIN,
        "binding": {"Vin": VIN, "colour": "red", "Scrap-Certificate": "BF-2026-1"},
        "previous": [{"To": "dealer", "mass_kg": 380}, "kept"],
        "Receiver": "collector",
        "soh_pct": 91,
    }
    post(
        client,
        automaker,
        automaker.claim(code(1), "corrected", {"target": hashes[3], "reason": "typo", "fields": fields}),
    )

    corrected = history(client, parties[Role.COLLECTOR])[-1]
    assert corrected["data"] == {
        "target": hashes[3],
        "reason": "typo",
        "fields": {"binding": {"colour": "red"}, "previous": [{"mass_kg": 380}, "kept"], "soh_pct": 91},
    }
    assert corrected["redacted"] == [  # in the claim's canonical member order
        "data.fields.Receiver",
        "data.fields.VIN",
        "data.fields.binding.Scrap-Certificate",
        "data.fields.binding.Vin",
        "data.fields.previous[0].To",
    ]
    assert VIN not in str(corrected) and OTHER_VIN not in str(corrected)
    # the regulator reads it all
    assert history(client, parties[Role.REGULATOR])[-1]["data"]["fields"] == fields


@pytest.mark.usefixtures("corrections_as_recorded")
def test_item7_history_withholds_free_text_holding_a_vin_or_naming_a_counterparty(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    hashes = in_vehicle(client, parties, 1)
    automaker = parties[Role.AUTOMAKER]
    reasons = [
        f"installed in {VIN.lower()} by mistake",  # a VIN in lower case, inside a sentence
        f"wrong vehicle ({OTHER_VIN})",
        "was handed over by Automaker, not by us",  # a counterparty, differently cased
        "keyed in twice",  # nothing personal: kept
    ]
    for reason in reasons:
        fix = {"target": hashes[3], "reason": reason, "fields": {"note": f"see {VIN}", "n": 1}}
        post(client, automaker, automaker.claim(code(1), "corrected", fix))
    post(client, automaker, automaker.claim(code(1), "incident", {"kind": "other", "severity": "low",
                                                                  "description": f"{VIN} bumped"}))  # fmt: skip

    seen = history(client, parties[Role.COLLECTOR])[4:]
    assert [e["redacted"] for e in seen] == [
        ["data.fields.note", "data.reason"],
        ["data.fields.note", "data.reason"],
        ["data.fields.note", "data.reason"],
        ["data.fields.note"],
        ["data.description"],
    ]
    assert [e["data"].get("reason") for e in seen[:4]] == [None, None, None, "keyed in twice"]
    assert all(e["data"].get("fields") == {"n": 1} for e in seen[:4])
    shown = str([e["data"] for e in seen])
    assert VIN not in shown.upper() and OTHER_VIN not in shown and "automaker" not in shown.lower()
    # its own entries name the caller itself, which is no secret to it; the maker is public
    own = history(client, parties[Role.AUTOMAKER])[4:]
    assert own[2]["data"]["reason"] == "was handed over by Automaker, not by us"


# -- item 7: the bundle by tier --------------------------------------------------------------------------


def test_item7_the_custodian_gets_a_redacted_bundle_that_verifies_without_vins_or_counterparties(
    client: httpx.Client, parties: dict[Role, Party], base: int, ledger: Ledger
) -> None:
    hashes = collected(client, parties)
    response = client.get(f"/v1/packs/{code(1)}/bundle", headers=parties[Role.COLLECTOR].auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    text, bundle = response.text, response.json()

    assert (bundle["format"], bundle["tier"]) == (REDACTED_FORMAT, "legitimate_interest")
    # the maker's `produced` and the collector's own receipt, verbatim; the rest withheld whole
    items = bundle["items"]
    assert [sorted(item) for item in items] == [["entry", "proof"]] + [["seq", "withheld"]] * 6 + [["entry", "proof"]]
    assert [item.get("seq", item.get("entry", {}).get("seq")) for item in items] == list(range(8))
    assert items[-1]["entry"]["prev"] == hashes[6]
    assert [k["key_id"] for k in bundle["keys"]] == ["collector/1", "manufacturer/1"]
    for secret in (VIN, "SF123", "YT-777", "automaker/1", "in_vehicle", "installed"):
        assert secret not in text

    summary = verify_bundle(bundle, ledger.signer.verifier_key)
    assert (summary.pack, summary.entries, summary.disclosed, summary.withheld) == (code(1), 8, 2, 6)
    assert (summary.proven_through, summary.tree_size) == (7, base + 9)  # + the head commitment, entry base+8


def test_item7_every_other_organisation_gets_the_redacted_bundle_and_the_regulator_the_full_one(
    client: httpx.Client, parties: dict[Role, Party], ledger: Ledger
) -> None:
    collected(client, parties)
    maker = client.get(f"/v1/packs/{code(1)}/bundle", headers=parties[Role.MANUFACTURER].auth).json()
    assert maker["format"] == REDACTED_FORMAT
    # its own `produced` and `shipped` (which names its own counterparty, known to it); nothing after
    assert [("entry" in item, "proof" in item) for item in maker["items"]] == [(True, False), (True, True)] + [
        (False, False)
    ] * 6
    summary = verify_bundle(maker, ledger.signer.verifier_key)
    # two disclosed; the log's head commitment proves the chain's eight entries exist (the last six withheld)
    assert (summary.disclosed, summary.proven_through, summary.complete_through) == (2, 7, 7)
    assert VIN not in str(maker)

    full = client.get(f"/v1/packs/{code(1)}/bundle", headers=parties[Role.REGULATOR].auth).json()
    assert full["format"] == "packtrace-bundle/3"
    assert full["entries"][3]["claim"]["data"]["vin"] == VIN
    assert verify_bundle(full, ledger.signer.verifier_key).disclosed == 8


# -- item 9: paginated history ---------------------------------------------------------------------------


def walk(client: httpx.Client, party: Party, limit: int, between: Callable[[], None] | None = None) -> list[dict]:
    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = client.get(f"/v1/packs/{code(1)}/events", params=params, headers=party.auth)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        if pages[-1]["next"] is None:
            return pages
        if between is not None and len(pages) == 2:
            between()
        params["cursor"] = pages[-1]["next"]


def test_item9_the_cursor_walks_the_whole_chain_exactly_once(
    client: httpx.Client, parties: dict[Role, Party], ledger: Ledger
) -> None:
    in_vehicle(client, parties, 1)
    automaker = parties[Role.AUTOMAKER]
    incidents(ledger, automaker, code(1), 21)  # 25 entries

    pages = walk(client, parties[Role.COLLECTOR], 7)
    assert [len(p["events"]) for p in pages] == [7, 7, 7, 4]
    assert [e["seq"] for p in pages for e in p["events"]] == list(range(25))
    assert {p["total"] for p in pages} == {25}

    # entries appended while a reader is half-way through are read once, at the end
    pages = walk(
        client, parties[Role.REGULATOR], 10, between=lambda: incidents(ledger, automaker, code(1), 6, start=21)
    )
    seqs = [e["seq"] for p in pages for e in p["events"]]
    assert seqs == list(range(31))
    hashes = [e["hash"] for p in pages for e in p["events"]]
    assert [e["prev"] for p in pages for e in p["events"]][1:] == hashes[:-1]


def test_item9_a_page_holds_at_most_1000_entries_and_100_by_default(
    client: httpx.Client, parties: dict[Role, Party], long_pack: list[str]
) -> None:
    regulator = parties[Role.REGULATOR]
    url = f"/v1/packs/{code(1)}/events"
    first = client.get(url, headers=regulator.auth).json()
    assert (len(first["events"]), first["total"], first["events"][-1]["seq"]) == (100, LONG + 4, 99)
    assert first["next"] is not None
    most = client.get(url, params={"limit": 1000}, headers=regulator.auth).json()
    assert len(most["events"]) == 1000
    rest = client.get(url, params={"limit": 1000, "cursor": most["next"]}, headers=regulator.auth).json()
    assert ([e["seq"] for e in rest["events"]], rest["next"]) == (list(range(1000, LONG + 4)), None)
    for bad in (0, 1001, -1):
        response = client.get(url, params={"limit": bad}, headers=regulator.auth)
        assert response.status_code == 422, response.text


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("cursor", "detail"),
    [
        ("!!not-a-cursor", "cursor '!!not-a-cursor' is not one this API gave out"),
        (_cursor("seq:abc"), f"cursor {_cursor('seq:abc')!r} is not one this API gave out"),
        (_cursor("seq:-1"), f"cursor {_cursor('seq:-1')!r} is not one this API gave out"),
        (_cursor(code(1)), f"cursor {_cursor(code(1))!r} is not one this API gave out"),  # a /v1/packs cursor
        (_cursor("seq:5"), f"cursor {_cursor('seq:5')!r} is past the end of pack {code(1)}'s chain"),
    ],
)
def test_item9_a_cursor_the_api_did_not_give_out_is_422(
    client: httpx.Client, parties: dict[Role, Party], cursor: str, detail: str
) -> None:
    in_vehicle(client, parties, 1)
    response = client.get(
        f"/v1/packs/{code(1)}/events", params={"cursor": cursor}, headers=parties[Role.REGULATOR].auth
    )
    assert_problem(response, 422, "invalid_cursor", detail)


def test_item9_the_client_reads_the_history_page_by_page(
    app: FastAPI, parties: dict[Role, Party], long_pack: list[str]
) -> None:
    with anyio.from_thread.start_blocking_portal() as portal:
        transport = InProcessTransport(app, portal)
        with PacktraceClient("http://testserver", token=parties[Role.COLLECTOR].token, transport=transport) as api:
            pages = list(api.pack_event_pages(code(1), limit=500))
            whole = api.pack_events(code(1))
            streamed = [e["seq"] for e in api.iter_pack_events(code(1))]
    assert [len(p["events"]) for p in pages] == [500, 500, LONG + 4 - 1000]
    assert [e["seq"] for e in whole["events"]] == streamed == list(range(LONG + 4))
    assert (whole["total"], whole["next"]) == (LONG + 4, None)


# -- item 9: the bundle and the dossier of a long chain --------------------------------------------------


def test_item9_the_bundle_is_read_and_sent_a_page_at_a_time(
    client: httpx.Client, parties: dict[Role, Party], ledger: Ledger, long_pack: list[str], monkeypatch: Any
) -> None:
    reads: list[int | None] = []
    original = ledger.pack_entries

    def spy(code_: str, start: int = 0, limit: int | None = None) -> Any:
        reads.append(limit)
        return original(code_, start, limit)

    monkeypatch.setattr(ledger, "pack_entries", spy)
    for party, disclosed in ((parties[Role.REGULATOR], LONG + 4), (parties[Role.AUTOMAKER], LONG + 3)):
        reads.clear()
        with client.stream("GET", f"/v1/packs/{code(1)}/bundle", headers=party.auth) as response:
            assert response.status_code == 200
            chunks = list(response.iter_bytes())
        assert len(reads) == 2 and all(limit is not None and limit <= bundle_module.PAGE for limit in reads)
        summary = verify_bundle(httpx.Response(200, content=b"".join(chunks)).json(), ledger.signer.verifier_key)
        assert (summary.entries, summary.disclosed) == (LONG + 4, disclosed)


def web_session(client: httpx.Client, party: Party) -> dict[str, str]:
    response = client.post("/login", data={"token": party.token})
    assert response.status_code == 303, response.text
    cookie = re.match(r"packtrace_session=([^;]+);", response.headers["set-cookie"])
    assert cookie is not None
    client.cookies.clear()
    return {"Cookie": f"packtrace_session={cookie.group(1)}"}


def test_item9_the_dossier_of_a_long_chain_shows_and_verifies_the_latest_200(
    client: httpx.Client, parties: dict[Role, Party], base: int, long_pack: list[str]
) -> None:
    regulator = web_session(client, parties[Role.REGULATOR])
    url = f"/regulator/packs/{code(1)}"
    started = time.perf_counter()
    page = client.get(url + "?lang=en", headers=regulator).text
    took = time.perf_counter() - started

    total = LONG + 4
    assert len(re.findall(r'<li class="[a-z ]*" id="e\d+">', page)) == 200
    assert re.findall(r"Log index (\d+)", page)[0] == str(base + total - 200)
    assert f"Showing seq {total - 200}–{total - 1} of {total}" in page
    assert f"The 200 entries shown (seq {total - 200}–{total - 1} of {total}) were verified" in page
    assert f'href="{url}?before={total - 200}" id="older"' in page and 'id="newer"' not in page
    assert took < 5, took

    older = client.get(f"{url}?lang=en&before={total - 200}", headers=regulator).text
    assert f"Showing seq {total - 400}–{total - 201} of {total}" in older and 'class="verify ok"' in older
    assert f'href="{url}" id="newer"' in older
    first = client.get(f"{url}?lang=en&before=150", headers=regulator).text
    assert "Showing seq 0–149" in first and 'id="older"' not in first and 'class="verify ok"' in first
    assert f'href="{url}?before=350" id="newer"' in first

    bad = client.get(f"{url}?before=abc&lang=zh", headers=regulator)
    assert bad.status_code == 422 and "“abc”不是有效的记录序号（应为整数）。" in bad.text
    bad = client.get(f"{url}?before=abc&lang=en", headers=regulator)
    assert bad.status_code == 422 and "before: &#39;abc&#39; is not an entry&#39;s seq" in bad.text


def verify_bundle_cli(path: Any, ledger: Ledger) -> tuple[int, str]:
    """`packtrace verify-bundle` on `path`: its exit code and its output on one line, less the line on what
    proved its keys, which `keys_line` checks."""
    result = CliRunner().invoke(cli, ["verify-bundle", str(path), "--log-key", ledger.signer.verifier_key])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    output = " ".join(result.output.split())
    if result.exit_code == 0:
        output, keys = output.split(" Keys: ")
        assert "Keys: " + keys == keys_line(json.loads(path.read_text()))
    return result.exit_code, output


def keys_line(bundle: dict[str, Any]) -> str:
    """What verify-bundle says proved the keys: each signer's registry chain, as the bundle carries it."""
    chains = ", ".join(
        f"{chain['subject'].removeprefix('org:')}'s entries 0–{len(chain['entries']) - 1} (the last at index "
        f"{chain['entries'][-1]['index']})"
        for chain in bundle["registry"]
    )
    size = bundle["checkpoint"].split("\n")[1]
    committed = bundle["heads"]["entry"]["claim"]["data"]["size"]
    return (
        "Keys: each signature checked with a key of its actor in force at its entry, as the log's registry entries "
        f"in this bundle show it: {chains}, included in the log at tree size {size}; each organisation's registry "
        f"chain complete up to log size {committed} by the same head commitment"
    )


def test_item7_verify_bundle_says_what_a_redacted_bundle_proved(
    client: httpx.Client, parties: dict[Role, Party], base: int, ledger: Ledger, tmp_path: Any
) -> None:
    collected(client, parties)
    path = tmp_path / "bundle.json"
    path.write_bytes(client.get(f"/v1/packs/{code(1)}/bundle", headers=parties[Role.COLLECTOR].auth).content)
    exit_code, output = verify_bundle_cli(path, ledger)
    assert exit_code == 0, output
    assert output.startswith(
        f"OK (redacted): pack {code(1)}: entries 0–7 proven to exist, 2 of them disclosed and verified (the last "
        f"included in the log at tree size {base + 9}, root "
    )
    assert output.endswith(
        "6 withheld: this bundle does not hold or prove their content; complete: the log's head commitment at "
        f"entry {base + 8} names seq 7 as the pack's last entry at log size {base + 8}"
    )

    path.write_text(path.read_text().replace('"seq":3,"withheld":true', '"seq":3,"withheld":true,"type":"x"'))
    exit_code, output = verify_bundle_cli(path, ledger)
    assert (exit_code, output) == (1, "FAILED item 3: a withheld entry holds only its seq")


def test_item7_verify_bundle_counts_trailing_withheld_items_as_claimed_not_proven(
    client: httpx.Client, parties: dict[Role, Party], base: int, ledger: Ledger, tmp_path: Any
) -> None:
    """The server may append withheld items after the last disclosed entry; nothing proves them."""
    collected(client, parties)
    bundle = client.get(f"/v1/packs/{code(1)}/bundle", headers=parties[Role.COLLECTOR].auth).json()
    bundle["items"] += [{"seq": 8, "withheld": True}, {"seq": 9, "withheld": True}]
    path = tmp_path / "padded.json"
    path.write_text(json.dumps(bundle))
    exit_code, output = verify_bundle_cli(path, ledger)
    assert exit_code == 0, output
    assert output.startswith(f"OK (redacted): pack {code(1)}: entries 0–7 proven to exist, 2 of them disclosed")
    assert output.endswith(
        "6 withheld: this bundle does not hold or prove their content; complete: the log's head commitment at "
        f"entry {base + 8} names seq 7 as the pack's last entry at log size {base + 8}; 2 more withheld after "
        "seq 7: claimed by the server, not proven"
    )
    assert " of 10 " not in output


def test_item7_verify_bundle_refuses_a_full_bundle_cut_short(
    client: httpx.Client, parties: dict[Role, Party], base: int, ledger: Ledger, tmp_path: Any
) -> None:
    """A server can cut entries off the end of a full bundle (proving the last one it keeps): without the
    head commitment it cannot prove it complete, and with the commitment the cut is plain."""
    collected(client, parties)
    path = tmp_path / "cut.json"
    cut = bundle_module.window_bundle(ledger, code(1), 0, 4)  # 5 of the 8 entries
    path.write_text(json.dumps(cut))
    assert verify_bundle_cli(path, ledger) == (
        1, "FAILED the bundle carries no head commitment (member 'heads'): it cannot prove that it is complete"
    )  # fmt: skip
    full = client.get(f"/v1/packs/{code(1)}/bundle", headers=parties[Role.REGULATOR].auth).json()
    cut = bundle_module.window_bundle(ledger, code(1), 0, 4)  # against the checkpoint holding the commitment
    cut["heads"], cut["registry"] = full["heads"], full["registry"]  # the chains with their heads' proofs
    path.write_text(json.dumps(cut))
    assert verify_bundle_cli(path, ledger) == (
        1,
        f"FAILED pack {code(1)}: entries were removed from its end: the log's head commitment at entry {base + 8} "
        f"(log size {base + 8}) says the chain had 8 entries (the last, seq 7, at entry {base + 7}), but the bundle "
        "lists 5",
    )


def test_item7_verify_bundle_fails_a_redacted_bundle_disclosing_no_entry(
    client: httpx.Client, parties: dict[Role, Party], ledger: Ledger, tmp_path: Any
) -> None:
    collected(client, parties)
    bundle = client.get(f"/v1/packs/{code(1)}/bundle", headers=parties[Role.COLLECTOR].auth).json()
    bundle["items"] = [{"seq": n, "withheld": True} for n in range(8)]
    path = tmp_path / "hollow.json"
    path.write_text(json.dumps(bundle))
    assert verify_bundle_cli(path, ledger) == (
        1,
        f"FAILED no entry is disclosed: this bundle proves nothing about pack {code(1)}",
    )
