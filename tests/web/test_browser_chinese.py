"""Every page in Chinese and in English, at 375 px and 1440 px, in a real headless Chromium (issue 19): a
Chinese page shows no English word (tests/web/english.py: codes, ids, units, element symbols and English
organisation names aside, the allowlist being data), and no chart's labels overlap or run out of the chart.

The pages are found by walking: the regulator's navigation and every link of the site the pages show (one
page per kind of address: a pack's dossier stands for all dossiers), so a page another change adds to the
navigation is checked without a test naming it. The scan page is opened as each kind of holder of a pack,
every action form unfolded. Screenshots go to test-artifacts/screenshots/chinese/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from api.web.actions import FORMS
from api.web.i18n import Words
from tests.web.english import overlapping_labels, page_english
from tests.web.test_browser import (  # noqa: F401 -- fixtures
    REGULATOR,
    SCREENSHOTS,
    Live,
    browser,
    fits,
    live,
    log_in,
    new_page,
)

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "chinese"
WIDTHS = (375, 1440)
MAX_PAGES = 60  # a walk that finds more kinds of page than this has lost its way
SKIPPED = re.compile(r"\.(csv|json|png|svg|css|js)$|^/(logout|docs|openapi|v1/|static/)")


def _kind(url: str) -> str:
    """What a page address is an instance of: its path with codes, numbers and the language taken out, and
    the names of its query's fields."""
    parts = urlsplit(url)
    path = re.sub(r"/[^/]*\d[^/]*(?=/|$)", "/ID", parts.path)  # a code, a number, a campaign's id
    fields = sorted({name for name, _ in parse_qsl(parts.query) if name != "lang"})
    return path + "?" + "&".join(fields)


def _in(url: str, lang: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"] + [("lang", lang)]
    return f"{parts.path}?{urlencode(query)}"


def walk(page: Page, site: Live, starts: list[str]) -> list[str]:
    """The site's pages reachable from `starts` through its links, one address per kind of page."""
    seen: dict[str, str] = {}
    queue = list(starts)
    while queue:
        url = queue.pop(0)
        kind = _kind(url)
        if kind in seen:
            continue
        seen[kind] = url
        assert len(seen) <= MAX_PAGES, f"more than {MAX_PAGES} kinds of page: {sorted(seen)}"
        response = page.goto(site.url(url))
        assert response is not None and response.status < 500, f"{url}: {response and response.status}"
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        for href in hrefs:
            if not href.startswith("/") or href.startswith("//"):
                continue
            target = href.split("#")[0]
            if target and not SKIPPED.search(urlsplit(target).path) and "lang=" not in target:
                queue.append(target)
    return list(seen.values())


def names(site: Live) -> list[str]:
    """The organisations' names: an English one is no untranslated word."""
    return [org.name for org in site.world.province.orgs.values()]


def check(page: Page, site: Live, url: str, lang: str, shot: str) -> list[str]:
    """Open `url` in `lang`; the problems it shows (English words in Chinese, overlapping chart labels)."""
    page.goto(site.url(_in(url, lang)))
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # every form unfolded
    width = page.viewport_size["width"] if page.viewport_size else 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}-{lang}-{width}.png"), full_page=True)
    problems = [f"{url} ({lang}, {width} px): {p}" for p in overlapping_labels(page)]
    if lang == "zh":
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        words = page_english(page, names=names(site))
        if words:
            problems.append(f"{url} ({width} px) shows English: {sorted(set(words))}")
    if not fits(page):
        problems.append(f"{url} ({lang}, {width} px) is wider than the screen")
    return problems


def _shot_name(url: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", _kind(url)).strip("-") or "root"


@pytest.fixture(scope="module")
def regulator_pages(browser: Browser, live: Live) -> Iterator[list[str]]:  # noqa: F811
    page = new_page(browser, 1440)
    log_in(page, live, REGULATOR, "/regulator")
    pack = live.world.province.paths["recycling"][0]
    starts = ["/regulator", f"/regulator/packs/{pack}", "/regulator/packs?q=001", "/regulator/recall?manufacturer=001",
              "/regulator/compliance?org=catl"]  # fmt: skip
    yield walk(page, live, starts)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_regulator_page_is_chinese_with_readable_charts(
    browser: Browser,  # noqa: F811
    live: Live,  # noqa: F811
    regulator_pages: list[str],
    width: int,
) -> None:
    kinds = {_kind(url) for url in regulator_pages}
    for expected in ("/regulator?", "/regulator/packs/ID?", "/regulator/compliance?", "/regulator/recovery?",
                     "/regulator/organisations?", "/regulator/warnings?", "/regulator/campaigns?",
                     "/regulator/recall?", "/regulator/packs?q"):  # fmt: skip
        assert expected in kinds, f"the walk did not reach {expected}: {sorted(kinds)}"
    page = new_page(browser, width)
    log_in(page, live, REGULATOR, "/regulator")
    problems = []
    for url in regulator_pages:
        for lang in ("zh", "en"):
            problems += check(page, live, url, lang, _shot_name(url))
    assert problems == [], "\n".join(problems)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_public_login_error_and_404_pages_are_chinese(browser: Browser, live: Live, width: int) -> None:  # noqa: F811
    page = new_page(browser, width)
    pack = live.world.province.paths["recycling"][0]
    problems = []
    for url, shot in [(f"/p/{pack}", "public-pack"), ("/login", "login"), ("/no-such-page", "404")]:
        for lang in ("zh", "en"):
            problems += check(page, live, url, lang, shot)
    response = page.goto(live.url("/no-such-page?lang=zh"))
    assert response is not None and response.status == 404 and page.locator("h1").inner_text() == "未找到"
    log_in(page, live, "xm-collect", "/scan")
    for url, shot in [("/regulator", "403"), ("/regulator/packs/001PB12ABCDEFGHIJKLMNOPQ", "403-pack")]:
        for lang in ("zh", "en"):
            problems += check(page, live, url, lang, shot)
    response = page.goto(live.url("/regulator?lang=zh"))
    assert response is not None and response.status == 403 and page.locator("h1").inner_text() == "无权访问"
    assert problems == [], "\n".join(problems)
    page.context.close()


def holders(site: Live) -> dict[str, list[str]]:
    """A pack of every path of the province, by the organisation holding it (that may sign on the scan page)."""
    held: dict[str, list[str]] = {}
    for codes in site.world.province.paths.values():
        state = site.world.ledger.pack_state(codes[-1])
        if state is not None and state.custodian and state.custodian in site.world.province.orgs:
            held.setdefault(state.custodian, []).append(codes[-1])
    return held


@pytest.mark.parametrize("width", WIDTHS)
def test_the_scan_page_and_every_action_form_are_chinese(browser: Browser, live: Live, width: int) -> None:  # noqa: F811
    problems: list[str] = []
    offered: set[str] = set()
    for org, packs in sorted(holders(live).items()):
        page = new_page(browser, width)
        log_in(page, live, org, "/scan")
        for lang in ("zh", "en"):
            problems += check(page, live, "/scan", lang, f"scan-{org}")
        for pack in packs:
            for lang in ("zh", "en"):
                problems += check(page, live, f"/scan?code={pack}", lang, f"scan-{org}-{pack}")
            offered |= set(page.eval_on_selector_all("form[data-action]", "fs => fs.map(f => f.dataset.action)"))
        page.context.close()
    assert problems == [], "\n".join(problems)
    # the holders of the province's packs are offered most of the phone's forms, each checked above
    assert {"shipped", "installed", "removed", "retired", "incident", "lost", "exported"} <= offered
    assert offered <= set(FORMS)


def test_a_pending_receipt_is_one_thumb_away(browser: Browser, live: Live) -> None:  # noqa: F811
    """On a phone: the code typed in lower case is read; 确认接收 is the first action and on the first
    screen; the shipping form picks its receiver by name; Back after a post does not post again."""
    pack = live.world.province.paths["for_scan"][2]
    page = new_page(browser, 375, is_mobile=True, has_touch=True)
    log_in(page, live, "xm-collect", "/scan")
    page.fill("#text", pack.lower())
    page.click("#scan-form button[type=submit]")
    page.wait_for_url(live.url(f"/scan?code={pack}"))  # POST-redirect-GET
    actions = page.eval_on_selector_all("form[data-action]", "fs => fs.map(f => f.dataset.action)")
    assert actions[0] == "received", actions
    button = page.locator("form[data-action=received] button")
    assert button.inner_text() == "确认接收"
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 900 - 100  # on the first screen, clear of the bottom
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    button.tap()
    page.wait_for_selector("#scan-done")
    assert page.url == live.url(f"/scan?code={pack}&done=received") and len(posts) == 1
    page.go_back()
    page.wait_for_load_state()
    assert len(posts) == 1  # Back showed the page again, it did not post the receipt again
    page.goto(live.url(f"/scan?code={pack}"))
    page.click("form[data-action=shipped] summary")
    options = page.eval_on_selector_all("#shipped-to option", "os => os.map(o => [o.value, o.textContent])")
    orgs = live.world.province.orgs
    assert options[0] == ["", Words("zh")("pick_one")]
    assert [name for _, name in options[1:]] == sorted(name for _, name in options[1:])
    assert {value for value, _ in options[1:]} == {
        o.id for o in orgs.values() if o.id != "xm-collect" and not {str(r) for r in o.roles} <= {"regulator", "admin"}
    }
    assert all(orgs[value].name == name for value, name in options[1:])
    page.context.close()
