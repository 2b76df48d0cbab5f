"""The web pages in a real headless Chromium (Debian's, never a downloaded one), served by uvicorn on
127.0.0.1: a regulator logs in, searches a code, opens its verified record, runs a recall trace and
downloads its CSV, switches language; a collection point scans a label photo on a phone and acknowledges
receipt. Screenshots at 375 px and 1440 px go to test-artifacts/screenshots/."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from api.web.i18n import Words
from labels.payload import label_url
from labels.render import LabelInfo, render_png
from tests.web.conftest import World, make_world

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDTHS = (375, 1440)
REGULATOR = "fj-miit"


class Live:
    def __init__(self, world: World, base: str) -> None:
        self.world, self.base = world, base

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def live(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The app over a province, served by uvicorn in a thread on a free port of 127.0.0.1 (the public URL
    names that port, so the labels it prints lead back to it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    world, close = make_world(module_database_url, tmp_path_factory.mktemp("live"), public_url=base)
    server = uvicorn.Server(uvicorn.Config(world.app, log_level="warning", lifespan="off", ws="none", http="h11"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Live(world, base)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
        close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(browser: Browser, width: int, **options: object) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", **options)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


def fits(page: Page) -> bool:
    """Nothing sticks out sideways: the page scrolls only down (wide tables scroll inside their box)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def log_in(page: Page, live: Live, org: str, path: str) -> None:
    page.goto(live.url(path))
    assert "/login" in page.url
    page.fill("#token", live.world.province.token(org))
    page.click("button[type=submit].primary")
    page.wait_for_url(live.url(path))


def test_a_regulator_traces_and_verifies(browser: Browser, live: Live) -> None:
    page = new_page(browser, 1440)
    log_in(page, live, REGULATOR, "/regulator")
    assert page.locator("h1").inner_text() == "监管概览"
    assert page.locator("svg.chart").count() == 4
    shoot(page, "overview")

    pack = live.world.province.paths["repair"][0]
    page.click("text=电池查询")
    page.fill("#q", pack)
    page.press("#q", "Enter")
    page.wait_for_url(live.url(f"/regulator/packs/{pack}"))
    assert "已验证" in page.locator("#verification").inner_text()
    assert page.locator("#timeline li").count() >= 6
    assert "福州维修" in page.locator("#custody").inner_text()
    shoot(page, "pack-record")

    page.click("text=召回追溯")
    page.fill("#manufacturer", "001")
    page.select_option("#chemistry", "LFP")
    page.click("#recall-form button[type=submit]")
    page.wait_for_selector("#recall-results")
    shown = page.locator("#recall-results tbody tr").all_inner_texts()
    token = live.world.province.token(REGULATOR)
    expected = httpx.get(
        live.url("/v1/reports/recall"),
        params={"manufacturer": "001", "chemistry": "LFP"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["packs"]
    assert [row.split()[0] for row in shown] == [p["code"] for p in expected] and expected
    shoot(page, "recall")
    with page.expect_download() as download:
        page.click("#recall-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert download.value.suggested_filename == "recall.csv"
    assert [(r["电池编码"], r["状态"], r["持有单位标识"], r["车辆识别代号"]) for r in rows] == [
        (p["code"], Words("zh").status(p["status"]), p["custodian"], p["vin"] or "") for p in expected
    ]  # the page is in Chinese, and so is its CSV

    # a click on a link returns once the next page starts loading: wait for it before reading it
    page.click("text=合规")
    page.wait_for_url(live.url("/regulator/compliance"))
    expect(page.locator("#unaccounted-packs tbody tr")).not_to_have_count(0)
    expect(page.locator("#late-by-org tbody tr")).not_to_have_count(0)
    shoot(page, "compliance")
    page.click("text=回收率")
    page.wait_for_url(live.url("/regulator/recovery"))
    expect(page.locator("#recovery-rows tr.below")).not_to_have_count(0)
    shoot(page, "recovery")

    page.click("a.lang")
    expect(page.locator("h1")).to_have_text("Material recovery")
    page.click("text=Recall trace")
    expect(page.locator("h1")).to_have_text("Recall trace")
    page.click("a.lang")
    expect(page.locator("h1")).to_have_text("召回追溯")
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_phone_and_desk(browser: Browser, live: Live, width: int) -> None:
    page = new_page(browser, width)
    pack = live.world.province.paths["second_life"][0]
    page.goto(live.url(f"/p/{pack}"))
    assert page.locator("#pack-status").inner_text() == "已报废处理"
    assert fits(page)
    shoot(page, "public-pack")
    log_in(page, live, REGULATOR, "/regulator")
    for name, path in [
        ("overview", "/regulator"),
        ("search", f"/regulator/packs?q={pack[:6]}"),
        ("pack-record", f"/regulator/packs/{pack}"),
        ("recall", "/regulator/recall?manufacturer=0RJ"),
        ("compliance", "/regulator/compliance"),
        ("recovery", "/regulator/recovery"),
        ("organisations", "/regulator/organisations"),
        ("overview-en", "/regulator?lang=en"),
        ("overview-xiamen", "/regulator?region=350200"),
        ("compliance-xiamen", "/regulator/compliance?region=350200"),
    ]:
        page.goto(live.url(path))
        assert page.locator("h1").count() == 1
        assert fits(page), f"{path} is wider than {width} px"
        if width == 375:
            shoot(page, name)
    page.context.close()


@pytest.mark.parametrize(("width", "which"), [(375, 0), (1440, 1)])
def test_a_collection_point_scans_a_label(browser: Browser, live: Live, width: int, which: int) -> None:
    """On a phone (touch) and at a desk: upload a photo, see the pack, acknowledge receipt in one tap."""
    pack = live.world.province.paths["for_scan"][which]
    photo = render_png(LabelInfo(pack, "宁德时代", "LFP", 60.0, date(2026, 7, 20)), label_url(live.base, pack))
    phone = {"is_mobile": True, "has_touch": True} if width < 600 else {"has_touch": True}
    page = new_page(browser, width, **phone)
    log_in(page, live, "xm-collect", "/scan")
    assert page.locator("#image").get_attribute("capture") == "environment"
    page.set_input_files("#image", files=[{"name": "label.png", "mimeType": "image/png", "buffer": photo}])
    page.click("#scan-form button[type=submit]")
    page.wait_for_selector("#scan-result")
    assert page.locator("#pack-code").inner_text() == pack
    assert page.locator("#pack-status").inner_text() == "运输中"
    assert fits(page)
    shoot(page, "scan")
    page.tap("form[data-action=received] button")
    page.wait_for_selector("#scan-done")
    assert page.locator("#pack-status").inner_text() == "在库"
    assert "入库/接收" in page.locator("#scan-done").inner_text()
    shoot(page, "scan-received")
    state = live.world.ledger.pack_state(pack)
    assert state is not None and (state.status, state.custodian) == ("in_stock", "xm-collect")
    page.context.close()


def test_no_page_asks_another_host(browser: Browser, live: Live) -> None:
    """On an intranet with no way out, /docs and every page still work: every request to another host is
    refused (as a provincial intranet would), and each request the browser makes (scripts, styles, images,
    fonts, the OpenAPI document) goes to the server itself; /docs renders its operations all the same."""
    page = new_page(browser, 1440)
    asked: list[str] = []
    refused: list[str] = []

    def only_here(route: Route) -> None:
        url = route.request.url
        if url.startswith((live.base + "/", "data:", "blob:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort("addressunreachable")

    page.route("**/*", only_here)
    page.on("request", lambda request: asked.append(request.url))
    page.goto(live.url("/docs"))
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)  # the UI ran and read /openapi.json
    assert page.locator(".swagger-ui .opblock").count() >= 20
    assert page.locator(".swagger-ui .opblock").first.is_visible()
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("packtrace")
    shoot(page, "docs-offline")
    pack = live.world.province.paths["second_life"][0]
    page.goto(live.url(f"/p/{pack}"))
    log_in(page, live, REGULATOR, "/regulator")
    for path in [
        "/regulator",
        f"/regulator/packs/{pack}",
        "/regulator/recall",
        "/regulator/compliance",
        "/regulator/recovery",
        "/regulator/organisations",
        "/regulator/campaigns",
        "/regulator/warnings",
        "/scan",
    ]:
        page.goto(live.url(path))
    elsewhere = sorted({url for url in asked if not url.startswith((live.base + "/", "data:", "blob:"))})
    assert elsewhere == [] and refused == []
    assert any(url.endswith("/swagger-ui-bundle.js") for url in asked)
    page.context.close()
