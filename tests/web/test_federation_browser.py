"""The destination's regulator page of a pack handed over from another platform (docs/federation.md §4), in
headless Chromium at a phone's and a desk's width: the origin's long names (`manufacturer@<origin>`), the
bundle's SHA-256 and the origin's verifier key wrap inside the page instead of pushing it sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from events.orgs import Role
from tests.api.platforms import ORIGIN_A, PACK, Federation, two_platforms
from tests.web.login import login_cookie
from tests.web.test_browser import WIDTHS, browser, fits, new_page, shoot  # noqa: F401 -- the browser fixture

pytestmark = pytest.mark.browser

RECYCLED = {"feed_mass_kg": 380.0, "content_kg": {"Li": 5.0, "Ni": 20.0}, "recovered_kg": {"Li": 4.6, "Ni": 19.7}}


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """A pack made in A and recycled in B."""
    tmp = Path(tmp_path_factory.mktemp("federation"))
    roles_a, roles_b = [Role.MANUFACTURER, Role.AUTOMAKER, Role.REGULATOR], [Role.RECYCLER, Role.REGULATOR]
    with two_platforms(tmp, roles_a, roles_b) as platforms:
        platforms.transfer()
        assert platforms.arrive(platforms.arrival(platforms.fetch())).status_code == 201
        recycler = platforms.b.parties[Role.RECYCLER]
        later = [("retired", {"reason": "end_of_life"}), ("dismantled", {"outputs": []}), ("recycled", RECYCLED)]
        for hours, (kind, data) in enumerate(later, start=11):
            assert platforms.b.post(recycler, PACK, kind, data, hours).status_code == 201
        yield platforms


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_handed_over_packs_page_fits_phone_and_desk(
    browser: Browser,  # noqa: F811
    fed: Federation,
    width: int,
    lang: str,
) -> None:
    cookie = login_cookie(fed.b.http, fed.b.parties[Role.REGULATOR].token)["Cookie"]
    name, value = cookie.split("=", 1)
    page = new_page(browser, width)
    page.context.add_cookies([{"name": name, "value": value, "url": fed.b.url}])
    page.goto(f"{fed.b.url}/regulator/packs/{PACK}?lang={lang}")
    verified = f"已按 {ORIGIN_A} 的日志公钥核验" if lang == "zh" else f"verified against {ORIGIN_A}'s log key"
    assert verified in page.inner_text("body")
    shoot(page, f"federation-pack-{lang}")
    assert fits(page), page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1"
        " && !e.closest('.scroll, table')).slice(0, 5).map(e => e.tagName + ': ' + e.textContent.slice(0, 60))"
    )
    page.context.close()
