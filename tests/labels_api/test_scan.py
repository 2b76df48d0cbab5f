"""POST /v1/scan: a label photo or scanned text → the code, the caller's view of the pack, its next actions."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from events.orgs import Role
from labels.qr import ZxingEncoder
from labels.render import LabelInfo, render_png
from tests.api.parties import Party
from tests.api.problem import assert_problem
from tests.api.scenario import code, produced
from tests.labels_api.images import photo_of
from tests.labels_api.world import url_of

MAKER, RECYCLER = Role.MANUFACTURER, Role.RECYCLER


def shipped_to_recycler(client: httpx.Client, parties: dict[Role, Party], serial: int) -> str:
    maker, recycler = parties[MAKER], parties[RECYCLER]
    produced(client, parties, serial)
    body = maker.claim(code(serial), "shipped", {"to": recycler.id})
    assert client.post("/v1/events", json=body, headers=maker.auth).status_code == 201
    return code(serial)


def scan_photo(client: httpx.Client, party: Party | None, photo: bytes, name: str = "photo.jpg") -> httpx.Response:
    headers = party.auth if party else {}
    return client.post("/v1/scan", files={"image": (name, photo, "image/jpeg")}, headers=headers)


@pytest.mark.parametrize(("angle", "blur"), [(0, 0), (90, 1.0), (17, 1.5), (-143, 2.0)])
def test_a_label_photo_gives_the_code_and_what_the_recycler_may_do(
    client: httpx.Client, parties: dict[Role, Party], angle: float, blur: float
) -> None:
    pack = shipped_to_recycler(client, parties, 1)
    label = client.get(f"/v1/packs/{pack}/label.png", headers=parties[MAKER].auth).content
    response = scan_photo(client, parties[RECYCLER], photo_of(label, angle=angle, blur=blur))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == pack
    assert body["next_actions"] == ["received"]
    assert body["pack"]["code"] == pack and body["pack"]["status"] == "in_transit"
    assert body["pack"]["tier"] == "legitimate_interest"
    assert body["pack"]["receiver"] == parties[RECYCLER].id  # the recycler is a party to the hand-over


def test_each_caller_gets_its_own_view_and_actions(client: httpx.Client, parties: dict[Role, Party]) -> None:
    pack = shipped_to_recycler(client, parties, 1)
    seen = {}
    for role in (MAKER, RECYCLER, Role.DEALER, Role.REGULATOR):
        response = client.post("/v1/scan", json={"text": url_of(pack)}, headers=parties[role].auth)
        assert response.status_code == 200, response.text
        seen[role] = response.json()
    assert seen[MAKER]["next_actions"] == [
        "corrected", "incident", "lost", "ownership_transferred", "passport", "recalled"
    ]  # fmt: skip
    assert seen[RECYCLER]["next_actions"] == ["received"]
    assert seen[Role.DEALER]["next_actions"] == []
    assert seen[Role.REGULATOR]["next_actions"] == ["corrected", "incident", "lost", "recalled"]
    assert seen[Role.DEALER]["pack"]["custodian"] is None  # not a party to this pack
    assert seen[Role.REGULATOR]["pack"]["tier"] == "authority"
    assert seen[Role.REGULATOR]["pack"]["sender"] == parties[MAKER].id


@pytest.mark.parametrize("text", ["{url}", "  {url}\r\n", "{code}", "http://trace.fj.example.gov.cn/p/{code}/"])
def test_scanned_text_a_url_or_a_bare_code(client: httpx.Client, parties: dict[Role, Party], text: str) -> None:
    pack = shipped_to_recycler(client, parties, 1)
    scanned = text.format(url=url_of(pack), code=pack)
    response = client.post("/v1/scan", json={"text": scanned}, headers=parties[RECYCLER].auth)
    assert response.status_code == 200, response.text
    assert response.json()["code"] == pack


def test_a_blank_photo_has_no_code(client: httpx.Client, parties: dict[Role, Party]) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (1200, 900), (235, 233, 228)).save(blank, format="PNG")
    response = scan_photo(client, parties[RECYCLER], blank.getvalue(), "blank.png")
    assert_problem(response, 422, "no_code_found", "no QR code or barcode found in the image")


def test_a_qr_code_of_another_host_is_foreign_and_named(client: httpx.Client, parties: dict[Role, Party]) -> None:
    pack = shipped_to_recycler(client, parties, 1)
    elsewhere = f"https://trace.other.example.com/p/{pack}"
    info = LabelInfo(pack, "Someone else", "LFP", 60.0, None)
    photo = photo_of(render_png(info, elsewhere, encoder=ZxingEncoder()), angle=8, blur=0.8)
    body = assert_problem(scan_photo(client, parties[RECYCLER], photo), 422, "foreign_code")
    assert body["detail"] == f"scanned text is not a packtrace label: {elsewhere!r}"


def test_a_qr_code_of_plain_text_is_foreign_and_named(client: httpx.Client, parties: dict[Role, Party]) -> None:
    info = LabelInfo("001PB12ABCDEFGG1F0000001", "x", "LFP", None, None)
    photo = photo_of(render_png(info, "hello, battery"), angle=0, blur=0)
    body = assert_problem(scan_photo(client, parties[RECYCLER], photo), 422, "foreign_code")
    assert body["detail"] == "scanned text is not a packtrace label: 'hello, battery'"
    typed = client.post("/v1/scan", json={"text": "hello, battery"}, headers=parties[RECYCLER].auth)
    assert_problem(typed, 422, "foreign_code", "scanned text is not a packtrace label: 'hello, battery'")


def test_a_well_formed_code_not_in_the_log_is_404(client: httpx.Client, parties: dict[Role, Party]) -> None:
    absent = code(42)
    by_text = client.post("/v1/scan", json={"text": url_of(absent)}, headers=parties[RECYCLER].auth)
    detail = f"unknown pack {absent}: no event of it is recorded"
    assert_problem(by_text, 404, "unknown_pack", detail)
    label = render_png(LabelInfo(absent, "x", "LFP", None, None), url_of(absent))
    assert_problem(scan_photo(client, parties[RECYCLER], label, "label.png"), 404, "unknown_pack", detail)


def test_a_label_url_with_a_malformed_code_names_the_field(client: httpx.Client, parties: dict[Role, Party]) -> None:
    bad_month = "001PB12ABCDEFGG" + "D" + "F0000001"  # month D does not exist
    response = client.post("/v1/scan", json={"text": url_of(bad_month)}, headers=parties[RECYCLER].auth)
    body = assert_problem(response, 422, "invalid_code")
    assert body["field"] == "month"


def test_malformed_scan_requests(client: httpx.Client, parties: dict[Role, Party]) -> None:
    auth = parties[RECYCLER].auth
    not_an_image = scan_photo(client, parties[RECYCLER], b"%PDF-1.7 not a photo", "x.pdf")
    assert_problem(not_an_image, 422, "invalid_image")
    no_field = client.post("/v1/scan", files={"photo": ("p.jpg", b"\xff\xd8", "image/jpeg")}, headers=auth)
    detail = "the multipart body needs a file field 'image' holding the label photo"
    assert_problem(no_field, 422, "invalid_request", detail)
    text_field = client.post("/v1/scan", data={"image": "not a file"}, files={"x": ("x", b"")}, headers=auth)
    assert_problem(text_field, 422, "invalid_request")
    two_files = client.post(
        "/v1/scan",
        files=[("image", ("a.png", b"a", "image/png")), ("image", ("b.png", b"b", "image/png"))],
        headers=auth,
    )
    assert_problem(two_files, 422, "invalid_request")
    plain = client.post("/v1/scan", content=b"001PB12ABCDEFGG1F0000001", headers={**auth, "Content-Type": "text/plain"})
    assert "found Content-Type 'text/plain'" in assert_problem(plain, 422, "invalid_request")["detail"]
    bad_json = client.post("/v1/scan", content=b'{"text": ', headers={**auth, "Content-Type": "application/json"})
    assert_problem(bad_json, 422, "invalid_json")
    no_text = client.post("/v1/scan", json={"txt": "x"}, headers=auth)
    problem = assert_problem(no_text, 422, "invalid_request")
    assert {p["name"] for p in problem["invalid_params"]} == {"body.text", "body.txt"}
    too_long = client.post("/v1/scan", json={"text": "x" * 2049}, headers=auth)
    assert_problem(too_long, 422, "invalid_request")


def test_scanning_needs_a_token(client: httpx.Client, parties: dict[Role, Party]) -> None:
    pack = shipped_to_recycler(client, parties, 1)
    label = client.get(f"/v1/packs/{pack}/label.png", headers=parties[MAKER].auth).content
    assert_problem(scan_photo(client, None, label, "label.png"), 401, "unauthenticated")
    assert_problem(client.post("/v1/scan", json={"text": url_of(pack)}), 401, "unauthenticated")
