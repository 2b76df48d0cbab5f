"""The quality early warning page in headless Chromium at 375 px and 1440 px, served by uvicorn on
127.0.0.1 over the scaled generated province: the alarm is shown, the page fits, its link opens the
recall trace of the batch, the CSV downloads. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser

from tests.warnings.conftest import Generated
from tests.web.test_browser import browser, fits, new_page, shoot  # noqa: F401 -- the browser fixture

pytestmark = pytest.mark.browser

REGULATOR = "fj-miit"


@pytest.fixture(scope="module")
def live(scaled: Generated) -> Iterator[str]:
    """The scaled province's app served by uvicorn in a thread on a free port of 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(scaled.app, log_level="warning", lifespan="off", ws="none", http="h11"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@pytest.mark.parametrize("width", [375, 1440])
def test_the_warning_page_shows_the_alarm_and_opens_its_trace(
    browser: Browser,  # noqa: F811
    live: str,
    scaled: Generated,
    width: int,
) -> None:
    page = new_page(browser, width)
    page.goto(f"{live}/regulator/warnings")
    assert "/login" in page.url
    page.fill("#token", scaled.made.actors[REGULATOR].token)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live}/regulator/warnings")
    assert page.locator("h1").inner_text() == "产品质量预警"
    assert page.locator("#warnings-count").inner_text() == "1 个预警"
    rows = page.locator("#warnings-alarms tbody tr")
    assert rows.count() == 1
    maker = scaled.ledger.org("catl")
    assert maker is not None and rows.first.locator("td").first.inner_text() == f"企业 {maker.name} · 批次 B1"
    assert fits(page), f"the warning page is wider than {width} px"
    shoot(page, "warnings")
    with page.expect_download() as download:
        page.click("#warnings-csv")
    assert download.value.suggested_filename == "warnings.csv"
    page.click("#warnings-alarms a.trace")
    page.wait_for_url("**/regulator/recall?**")
    assert page.locator("#recall-count").inner_text() == "共 100 块电池"
    assert page.locator("#recall-results tbody tr").count() == 100
    assert fits(page)
    page.goto(f"{live}/regulator/warnings?lang=en")
    assert page.locator("#warnings-count").inner_text() == "1 alarms"
    assert fits(page)
    if width == 375:
        shoot(page, "warnings-en")
    page.context.close()
