"""Steps of features/chinese_ui.feature: the pages in Chinese, over the web tests' province."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from markupsafe import escape
from pytest_bdd import given, parsers, scenarios, then, when

from api.web.i18n_ui import CSV_HEADERS_ZH
from tests.api.inprocess import in_process_client
from tests.web.conftest import World, make_world, module_database_url  # noqa: F401  (a fixture)
from tests.web.login import session_cookie

scenarios("chinese_ui.feature")

REGULATOR = "fj-miit"
COLLECTOR = "xm-collect"


@dataclass
class Reader:
    world: World
    client: httpx.Client
    pages: dict[str, httpx.Response] = field(default_factory=dict)
    pack: str = ""

    def get(self, org: str, path: str, **params: str) -> httpx.Response:
        cookie = session_cookie(self.world.ledger, self.world.province.token(org))
        return self.client.get(path, params=params, headers=cookie)


@pytest.fixture(scope="module")
def chinese_world(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:  # noqa: F811
    made, close = make_world(module_database_url, tmp_path_factory.mktemp("chinese"))
    yield made
    close()


@pytest.fixture
def reader(chinese_world: World) -> Iterator[Reader]:
    with in_process_client(chinese_world.app) as http:
        yield Reader(chinese_world, http)


@given("a province of makers, automakers, collection points and recyclers")
def _province(reader: Reader) -> None:
    assert reader.world.province.paths["recycling"] and reader.world.province.paths["for_scan"]


@when("the regulator opens the record of a pack that was recycled")
def _record(reader: Reader) -> None:
    reader.pack = reader.world.province.paths["recycling"][0]
    reader.pages["zh"] = reader.get(REGULATOR, f"/regulator/packs/{reader.pack}")
    reader.pages["en"] = reader.get(REGULATOR, f"/regulator/packs/{reader.pack}", lang="en")
    assert reader.pages["zh"].status_code == 200 and reader.pages["en"].status_code == 200


def _recycled_item(page: str) -> str:
    items = re.findall(r'<li class="[^"]*" id="e\d+">(.*?)</li>', page, re.S)
    return next(item for item in items if "<strong>再生利用</strong>" in item or "<strong>recycled</strong>" in item)


@then("its timeline names the recycling's members in Chinese with masses in kg")
def _members_zh(reader: Reader) -> None:
    item = _recycled_item(reader.pages["zh"].text)
    assert "<b>投料重量</b>" in item and "<b>含量</b>" in item and "<b>回收量</b>" in item
    assert re.search(r"<b>含量</b> <span>(\w+ [\d,.]+ kg|电极粉料 [\d,.]+ kg)( · [^<]+)*</span>", item), item
    assert "feed_mass_kg" not in item and "{" not in item and "electrode_powder" not in item


@then("the organisations are named, not given by their ids")
def _named(reader: Reader) -> None:
    state = reader.world.ledger.pack_state(reader.pack)
    assert state is not None and state.custodian is not None
    custodian = reader.world.province.orgs[state.custodian]
    page = reader.pages["zh"].text
    assert f"<dt>当前持有方</dt><dd>{escape(custodian.name)}</dd>" in page
    assert f">{state.custodian}<" not in page


@then("the same record in English names the members in English")
def _members_en(reader: Reader) -> None:
    item = _recycled_item(reader.pages["en"].text)
    assert "<b>feed mass</b>" in item and "<b>content</b>" in item and "<b>recovered</b>" in item


@when(parsers.parse('the regulator traces a recall from the date "{day}"'))
def _bad_date(reader: Reader, day: str) -> None:
    reader.pages["zh"] = reader.get(REGULATOR, "/regulator/recall", produced_from=day)
    reader.pages["en"] = reader.get(REGULATOR, "/regulator/recall", produced_from=day, lang="en")


@then(parsers.parse('the page says "{text}"'))
def _says(reader: Reader, text: str) -> None:
    assert reader.pages["zh"].status_code == 422 and text in reader.pages["zh"].text


@then(parsers.parse('in English it says "{text}"'))
def _says_en(reader: Reader, text: str) -> None:
    assert reader.pages["en"].status_code == 422 and str(escape(text)) in reader.pages["en"].text


@when("the regulator downloads the recovery CSV")
def _download(reader: Reader) -> None:
    reader.pages["zh"] = reader.get(REGULATOR, "/regulator/recovery.csv")
    reader.pages["en"] = reader.get(REGULATOR, "/regulator/recovery.csv", lang="en")
    assert reader.pages["zh"].status_code == 200 and reader.pages["en"].status_code == 200


def _rows(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@then("its header names the columns in Chinese and its numbers carry no float noise")
def _csv_zh(reader: Reader) -> None:
    rows = _rows(reader.pages["zh"])
    api = reader.client.get("/v1/reports/recovery", params={"format": "csv"}, headers=reader.world.auth(REGULATOR))
    fields = _rows(api)[0]
    assert rows[0] == [CSV_HEADERS_ZH[name] for name in fields]
    numbers = [cell for row in rows[1:] for cell in row if re.fullmatch(r"-?\d+\.\d+", cell)]
    assert numbers and all(len(cell.split(".")[1]) <= 6 for cell in numbers)


@then("the English download keeps the field names")
def _csv_en(reader: Reader) -> None:
    api = reader.client.get("/v1/reports/recovery", params={"format": "csv"}, headers=reader.world.auth(REGULATOR))
    assert _rows(reader.pages["en"])[0] == _rows(api)[0]


@when("the collection point types the code of a pack shipped to it in lower case")
def _typed(reader: Reader) -> None:
    reader.pack = reader.world.province.paths["for_scan"][0]
    cookie = session_cookie(reader.world.ledger, reader.world.province.token(COLLECTOR))
    posted = reader.client.post("/scan", data={"text": reader.pack.lower()}, headers=cookie)
    assert posted.status_code == 303 and posted.headers["location"] == f"/scan?code={reader.pack}"
    reader.pages["zh"] = reader.client.get(posted.headers["location"], headers=cookie)


@then(parsers.parse('the pack is found and "{label}" is the first action offered'))
def _first(reader: Reader, label: str) -> None:
    page = reader.pages["zh"].text
    assert f'<p class="code" id="pack-code">{reader.pack}</p>' in page
    assert re.findall(r'data-action="(\w+)"', page)[0] == "received"
    assert f'<button type="submit" class="primary" name="tap" value="received">{label}</button>' in page


@then("once received, shipping it onwards picks the receiver by name from the organisations that may hold a pack")
def _receiver(reader: Reader) -> None:
    cookie = session_cookie(reader.world.ledger, reader.world.province.token(COLLECTOR))
    head = re.search(r'name="prev" value="([0-9a-f]+)"', reader.pages["zh"].text)
    assert head is not None
    tapped = reader.client.post(
        "/scan/act", data={"code": reader.pack, "action": "received", "prev": head.group(1)}, headers=cookie
    )
    assert tapped.status_code == 303 and tapped.headers["location"] == f"/scan?code={reader.pack}&done=received"
    page = reader.client.get(tapped.headers["location"], headers=cookie).text
    assert '<select id="shipped-to" name="to" required>' in page
    options = re.findall(
        r'<option value="([a-z0-9-]+)">([^<]+)</option>', page.split('id="shipped-to"')[1].split("</select>")[0]
    )
    orgs = reader.world.province.orgs
    assert options and all(orgs[value].name == name for value, name in options)
    assert {value for value, _ in options} == {
        o.id for o in orgs.values() if o.id != COLLECTOR and not {str(r) for r in o.roles} <= {"regulator", "admin"}
    }
