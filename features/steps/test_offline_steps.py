"""Steps of features/offline.feature: pages that name no other host (the pages found from the app's routes,
as tests/web/test_offline_pages.py walks them), and the demo's story ending on the day it is built."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from pytest_bdd import parsers, scenarios, then, when

from api import demo
from api.app import create_app
from api.province import Step, ending_on, simulate
from api.settings import Settings
from events.timestamps import CHINA_TZ
from ledger.log import Ledger
from tests.api.inprocess import in_process_client
from tests.support import Actor, code
from tests.web.login import session_cookie
from tests.web.offline import ATTRIBUTE, BROWSER, CSS_URL, elsewhere, page_paths

scenarios("offline.feature")


@dataclass
class Visit:
    answers: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # url: (status, type, text)


@when("a regulator, a collection point and a passer-by open every page the platform serves", target_fixture="visit")
def open_every_page(ledger: Ledger, actors: dict[str, Actor], tmp_path: Path) -> Visit:
    app = create_app(ledger, settings=Settings(database_url="sqlite://", log_key_file=tmp_path / "log.key"))
    app.state.sealing_key = bytes(32)
    cookies = {who: session_cookie(ledger, actors[who].token) for who in ("fj-miit", "xm-collect")}
    visit = Visit()
    with in_process_client(app) as http:
        for path in page_paths():
            if re.search(r"{(?!code})", path):  # pages of a campaign, an entry, a pool: tests/web walks them
                continue
            url = path.replace("{code}", code(1))
            who = "fj-miit" if url.startswith("/regulator") else "xm-collect" if url.startswith("/scan") else None
            response = http.get(url, headers={**BROWSER, **(cookies[who] if who else {})}, follow_redirects=True)
            visit.answers[url] = (response.status_code, response.headers["content-type"], response.text)
            for sheet in re.findall(r"""<link[^>]+rel=["']?stylesheet[^>]+href=["']?([^"'\s>]+)""", response.text):
                answer = http.get(sheet)
                visit.answers[sheet] = (answer.status_code, answer.headers["content-type"], answer.text)
    return visit


@then("every page and its stylesheets answer from the platform itself")
def all_answered(visit: Visit) -> None:
    assert {url: status for url, (status, _, _) in visit.answers.items() if status != 200} == {}
    assert {"/docs", "/regulator", "/scan", f"/p/{code(1)}", "/static-offline-docs/swagger-ui.css"} <= set(
        visit.answers
    )


@then("no page names another host in a src, href, action, srcset, url() or @import")
def no_other_host(visit: Visit) -> None:
    own = "http://testserver"
    found = {
        url: elsewhere(text, ATTRIBUTE, own) + elsewhere(text, CSS_URL, own)
        for url, (_, kind, text) in visit.answers.items()
        if kind.startswith(("text/html", "text/css"))
    }
    assert {url: refs for url, refs in found.items() if refs} == {}


def story(day: date, until: datetime) -> list[Step]:
    steps, _ = simulate(random.Random(34014), ending_on(demo.DEMO, day, until=until), demo.plan(2400, 34014))
    return steps


@when(parsers.parse('the demo province is built on "{day}" at {hour:d}:00 China time'), target_fixture="built")
def built_on(day: str, hour: int) -> tuple[date, datetime, list[Step]]:
    when_ = datetime.combine(date.fromisoformat(day), time(hour), CHINA_TZ)
    return when_.date(), when_, story(when_.date(), when_)


@then(parsers.parse('its last entries are recorded on "{day}" China time, none after {hour:d}:00'))
def ends_that_day(built: tuple[date, datetime, list[Step]], day: str, hour: int) -> None:
    _, _, steps = built
    assert steps[-1].recorded.astimezone(CHINA_TZ).date() == date.fromisoformat(day)
    cut = datetime.combine(date.fromisoformat(day), time(hour), CHINA_TZ)
    assert all(step.recorded < cut for step in steps)


@then("built again on the same day it is the same province")
def same_again(built: tuple[date, datetime, list[Step]]) -> None:
    day, moment, steps = built
    assert story(day, moment) == steps
