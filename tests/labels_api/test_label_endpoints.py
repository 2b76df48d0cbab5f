"""GET /v1/packs/{code}/label.png and .svg, POST /v1/labels: what they print, and that a real decoder reads
the exact pack URL back from every medium."""

from __future__ import annotations

import io
import math
from datetime import date

import httpx
import pymupdf
import pytest
from PIL import Image

from events.orgs import Role
from tests.api.parties import Party
from tests.api.problem import assert_problem
from tests.api.scenario import NCM, code, produced
from tests.labels_api.images import pdf_pages, read_qr, svg_image
from tests.labels_api.world import MAKER_NAME, second_life, url_of

MAKER = Role.MANUFACTURER


def test_png_label_decodes_to_the_pack_url(client: httpx.Client, parties: dict[Role, Party]) -> None:
    produced(client, parties, 1)
    response = client.get(f"/v1/packs/{code(1)}/label.png", headers=parties[MAKER].auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == f'inline; filename="{code(1)}.png"'
    assert response.headers["cache-control"] == "private, no-cache"
    assert read_qr(response.content) == [url_of(code(1))]
    assert Image.open(io.BytesIO(response.content)).info["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_svg_label_rasterised_decodes_and_prints_the_pack_facts(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    pack = code(2, chemistry="E", day=date(2025, 11, 3))
    maker = parties[MAKER]
    response = client.post("/v1/events", json=maker.claim(pack, "produced", NCM), headers=maker.auth)
    assert response.status_code == 201, response.text
    response = client.get(f"/v1/packs/{pack}/label.svg", headers=maker.auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert read_qr(svg_image(response.content)) == [url_of(pack)]
    texts = pymupdf.open(stream=response.content, filetype="svg")[0].get_text()
    for shown in [MAKER_NAME, "NCM", "75 kWh", "2025-11-03", pack]:
        assert shown in texts


def test_a_second_life_label_shows_its_original_codes(client: httpx.Client, parties: dict[Role, Party]) -> None:
    product, originals = second_life(client, parties, [3, 4])
    s2l = parties[Role.SECOND_LIFE]
    svg = client.get(f"/v1/packs/{product}/label.svg", headers=s2l.auth)
    assert svg.status_code == 200, svg.text
    texts = pymupdf.open(stream=svg.content, filetype="svg")[0].get_text()
    for shown in ["The second_life", "40 kWh", "2026-02-01", "原编码 / Original:", *originals]:
        assert shown in texts.replace("\n", "")  # a narrow column may wrap a code over two lines
    png = client.get(f"/v1/packs/{product}/label.png", headers=s2l.auth)
    assert read_qr(png.content) == [url_of(product)]


def test_a_sheet_has_one_label_per_code_in_order(client: httpx.Client, parties: dict[Role, Party]) -> None:
    for serial in range(1, 31):
        produced(client, parties, serial)
    codes = [code(serial) for serial in range(30, 0, -1)]
    response = client.post("/v1/labels", json={"codes": codes}, headers=parties[MAKER].auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="labels.pdf"'
    pages = pdf_pages(response.content)
    assert len(pages) == 2  # 24 labels of 50×30 mm fit an A4 page
    assert sorted(read_qr(pages[0])) == sorted(url_of(c) for c in codes[:24])
    assert sorted(read_qr(pages[1])) == sorted(url_of(c) for c in codes[24:])
    first_page_text = pymupdf.open(stream=response.content, filetype="pdf")[0].get_text()
    assert first_page_text.index(codes[0]) < first_page_text.index(codes[1]) < first_page_text.index(codes[23])


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_a_label_of_an_unknown_or_malformed_code(client: httpx.Client, parties: dict[Role, Party], suffix: str) -> None:
    auth = parties[MAKER].auth
    unknown = client.get(f"/v1/packs/{code(9)}/label.{suffix}", headers=auth)
    assert_problem(unknown, 404, "unknown_pack", f"unknown pack(s): {code(9)}")
    malformed = assert_problem(client.get(f"/v1/packs/001PB12/label.{suffix}", headers=auth), 422, "invalid_code")
    assert "24" in malformed["detail"]


def test_a_sheet_names_every_code_the_caller_may_not_print(client: httpx.Client, parties: dict[Role, Party]) -> None:
    for serial in range(1, 5):
        produced(client, parties, serial)
    automaker, maker = parties[Role.AUTOMAKER], parties[MAKER]
    for serial in (2, 4):  # these two now belong to the automaker
        assert (
            client.post(
                "/v1/events", json=maker.claim(code(serial), "shipped", {"to": automaker.id}), headers=maker.auth
            ).status_code
            == 201
        )
        assert (
            client.post(
                "/v1/events", json=automaker.claim(code(serial), "received", {"from": maker.id}), headers=automaker.auth
            ).status_code
            == 201
        )
    codes = [code(serial) for serial in range(1, 5)]
    refused = client.post("/v1/labels", json={"codes": codes}, headers=maker.auth)
    body = assert_problem(refused, 403, "forbidden")
    assert body["detail"].endswith(f"is not the custodian of {code(2)}, {code(4)}")
    assert code(1) not in body["detail"] and code(3) not in body["detail"]


def test_a_sheet_refuses_unknown_malformed_too_many_and_no_codes(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    produced(client, parties, 1)
    auth = parties[MAKER].auth
    unknown = client.post("/v1/labels", json={"codes": [code(1), code(7), code(8), code(7)]}, headers=auth)
    assert_problem(unknown, 404, "unknown_pack", f"unknown pack(s): {code(7)}, {code(8)}")
    malformed = client.post("/v1/labels", json={"codes": [code(1), "nonsense", "001PB12"]}, headers=auth)
    assert assert_problem(malformed, 422, "invalid_code")["detail"].startswith("2 codes are invalid: #1: ")
    too_many = client.post("/v1/labels", json={"codes": [code(1)] * 1001}, headers=auth)
    assert_problem(too_many, 422, "too_many_labels", "at most 1000 labels a request, found 1001; split the batch")
    too_many_bad = client.post("/v1/labels", json={"codes": ["x"] * 5000}, headers=auth)  # counted before parsed
    assert_problem(too_many_bad, 422, "too_many_labels")
    assert_problem(client.post("/v1/labels", json={"codes": []}, headers=auth), 422, "no_labels")
    assert_problem(client.post("/v1/labels", json={"codes": "x"}, headers=auth), 422, "invalid_request")
    assert_problem(client.post("/v1/labels", json={"codes": [1]}, headers=auth), 422, "invalid_request")


def test_repeated_codes_print_repeated_labels(client: httpx.Client, parties: dict[Role, Party]) -> None:
    produced(client, parties, 1)
    response = client.post("/v1/labels", json={"codes": [code(1)] * 3}, headers=parties[MAKER].auth)
    assert read_qr(pdf_pages(response.content)[0]) == [url_of(code(1))] * 3


@pytest.mark.slow
def test_a_thousand_label_sheet_round_trip(client: httpx.Client, parties: dict[Role, Party]) -> None:
    """Issue 5, acceptance item 1: 1,000 labels over HTTP, every page rasterised, every code decoded."""
    maker = parties[MAKER]
    codes = [code(serial) for serial in range(1, 1001)]
    for start in range(0, 1000, 250):
        events = [
            maker.claim(
                c,
                "produced",
                {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0},
            )
            for c in codes[start : start + 250]
        ]
        assert client.post("/v1/events/batch", json={"events": events}, headers=maker.auth).status_code == 201
    response = client.post("/v1/labels", json={"codes": codes}, headers=maker.auth)
    assert response.status_code == 200, response.text
    pages = pdf_pages(response.content)
    assert len(pages) == math.ceil(1000 / 24)
    for number, page in enumerate(pages):
        expected = codes[24 * number : 24 * (number + 1)]
        assert sorted(read_qr(page)) == sorted(url_of(c) for c in expected), f"page {number + 1}"
