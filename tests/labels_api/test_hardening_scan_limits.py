"""Issue 11 item 6: what the scanner refuses, over HTTP. A photo too large answers 422 `image_too_large`
from its header alone, never a 500; a scanner whose decode slots are all taken answers 503 `scanner_busy`
with Retry-After. The API and the web scan page's upload alike."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from api.web.session import SESSION_COOKIE
from events.orgs import Role
from labels import decode
from tests.api.parties import Party
from tests.api.problem import assert_problem
from tests.labels_api.images import high_resolution_photo
from tests.labels_api.world import shipped

RECYCLER = Role.RECYCLER


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def scan(client: httpx.Client, party: Party, photo: bytes) -> httpx.Response:
    return client.post("/v1/scan", files={"image": ("photo.png", photo, "image/png")}, headers=party.auth)


@contextlib.contextmanager
def all_slots_taken(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every decode slot held, as by photos being read, and a short wait for one."""
    monkeypatch.setattr(decode, "DECODE_WAIT_SECONDS", 0.1)
    with contextlib.ExitStack() as running:
        for _ in range(decode.MAX_CONCURRENT_DECODES):
            running.enter_context(decode.DECODE_POOL.slot())
        yield


def test_item6_a_40000000_by_1_png_answers_422_image_too_large(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    response = scan(client, parties[RECYCLER], png(Image.new("1", (40_000_000, 1), 1)))
    assert_problem(response, 422, "image_too_large", "image of 40000000×1 pixels is wider or taller than 16,384 pixels")


@pytest.mark.slow
def test_item6_a_decompression_bomb_png_answers_422_image_too_large(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    bomb = png(Image.new("1", (20_000, 20_000), 0))  # 400 megapixels in 47 KiB
    assert len(bomb) < 64 * 1024
    body = assert_problem(scan(client, parties[RECYCLER], bomb), 422, "image_too_large")
    assert body["detail"].startswith("the image is too large to read: Image size (400000000 pixels) exceeds limit")


@pytest.mark.slow
def test_item6_the_attacks_photo_is_refused_from_its_header(client: httpx.Client, parties: dict[Role, Party]) -> None:
    """The photo that cost ~600 MB each: a 191 KiB PNG of 6000 × 6600 RGBA pixels."""
    pack = shipped(client, parties, 1, RECYCLER)
    label = client.get(f"/v1/packs/{pack}/label.png", headers=parties[Role.MANUFACTURER].auth).content
    attack = high_resolution_photo(label, "PNG", (6000, 6600))
    assert len(attack) < 200 * 1024
    detail = "PNG image of 6000×6600 pixels is larger than 16,000,000 pixels, the most a PNG photo may have"
    assert_problem(scan(client, parties[RECYCLER], attack), 422, "image_too_large", detail)


def test_item6_a_busy_scanner_answers_503_with_retry_after(
    client: httpx.Client, parties: dict[Role, Party], monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = shipped(client, parties, 1, RECYCLER)
    label = client.get(f"/v1/packs/{pack}/label.png", headers=parties[Role.MANUFACTURER].auth).content
    with all_slots_taken(monkeypatch):
        busy = scan(client, parties[RECYCLER], label)
        typed = client.post("/v1/scan", json={"text": pack}, headers=parties[RECYCLER].auth)
    detail = "the scanner is busy: 2 photos are being read and this one waited 0.1 s; try again in 5 s"
    assert_problem(busy, 503, "scanner_busy", detail)
    assert busy.headers["retry-after"] == "5"
    assert typed.status_code == 200, "typed codes need no decode slot"
    assert scan(client, parties[RECYCLER], label).json()["code"] == pack  # the slots are free again


def test_item6_the_scan_page_says_a_photo_is_too_large_or_the_scanner_busy(
    client: httpx.Client, parties: dict[Role, Party], monkeypatch: pytest.MonkeyPatch
) -> None:
    login = client.post("/login", data={"token": parties[RECYCLER].token, "next": ""})
    assert login.status_code == 303
    cookie = {"Cookie": f"{SESSION_COOKIE}={login.cookies[SESSION_COOKIE]}"}  # Secure: the jar keeps it to https
    huge = {"image": ("photo.png", png(Image.new("1", (40_000_000, 1), 1)), "image/png")}
    page = client.post("/scan", files=huge, headers=cookie)
    assert page.status_code == 422 and 'id="scan-error"' in page.text
    assert "照片为 40000000×1 像素，超过上限（长、宽均不超过 16,384 像素），请重拍。" in page.text
    english = client.post("/scan?lang=en", files=huge, headers=cookie)
    assert "image of 40000000×1 pixels is wider or taller than 16,384 pixels" in english.text
    photo = {"image": ("photo.png", png(Image.new("L", (640, 480), 255)), "image/png")}
    with all_slots_taken(monkeypatch):
        page = client.post("/scan", files=photo, headers=cookie)
    assert page.status_code == 503 and 'id="scan-error"' in page.text and page.headers["retry-after"] == "5"
    assert "识别服务繁忙（正在识别 2 张照片），请稍后再试。" in page.text
