"""Finding makers (issue 15, acceptance 5) and the pack list's `flag` and `batch` filters: every maker filter
(the pack list, the recall trace and its CSV) reads a maker by id, code or registered name in any case,
and refuses a value naming no maker, or several, with a 422 that names it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.codes import make_code
from events.errors import InputError
from events.orgs import Org, Role
from ledger.log import Ledger
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from ledger.usecases.makers import maker_choices, resolve_maker
from tests.api.parties import Party, raw_public
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code, post
from tests.support import T0

UNKNOWN = "unknown manufacturer {!r}: no maker's organisation id, manufacturer code or registered name matches it"
FLAGS = "corrected, incident, recalled"


def register(ledger: Ledger, org: Org) -> Party:
    key = Ed25519PrivateKey.generate()
    tokens = orgkeys.register_many(ledger, ADMIN, [(org, [(f"{org.id}/1", raw_public(key))])])
    return Party(org.id, tokens[org.id], f"{org.id}/1", key)


def lg_code(serial: int) -> str:
    return make_code("0LG", "pack", "B", "12", "ABCDEFG", T0.date(), serial)


@pytest.fixture
def makers(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party], admin: dict[str, str]
) -> dict[str, list[str]]:
    return build_makers(client, ledger, parties, admin)


def build_makers(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party], admin: dict[str, str]
) -> dict[str, list[str]]:
    """The test manufacturer renamed 宁德时代新能源科技 with codes 001 and 0RJ (packs 1-3: 1 and 3 of batch
    B1, 2 of batch b1; 1 an incident, 3 recalled); LG Energy Solution (lg-es, code 0LG, pack 1 of batch B1);
    弗迪电池 (fd-battery, no packs)."""
    body = {"name": "宁德时代新能源科技", "manufacturer_codes": ["001", "0RJ"]}
    assert client.patch("/v1/orgs/manufacturer", json=body, headers=admin).status_code == 200
    lg = register(ledger, Org("lg-es", "LG Energy Solution", frozenset({Role.MANUFACTURER}), frozenset({"0LG"})))
    register(ledger, Org("fd-battery", "弗迪电池", frozenset({Role.MANUFACTURER}), frozenset({"03U"})))
    maker, regulator = parties[Role.MANUFACTURER], parties[Role.REGULATOR]
    for serial, batch in ((1, "B1"), (2, "b1"), (3, "B1")):
        post(client, maker, maker.claim(code(serial), "produced", {**PRODUCED, "batch": batch}))
    post(client, lg, lg.claim(lg_code(1), "produced", {**PRODUCED, "batch": "B1"}))
    later = T0 + timedelta(hours=1)
    incident = {"kind": "thermal_event", "severity": "high", "description": "冒烟"}
    post(client, regulator, regulator.claim(code(1), "incident", incident, at=later))
    post(client, maker, maker.claim(code(3), "recalled", {"campaign": "R-1", "reason": "BMS"}, at=later))
    return {"manufacturer": [code(1), code(2), code(3)], "lg-es": [lg_code(1)]}


def listed(client: httpx.Client, party: Party, **params: Any) -> list[str]:
    response = client.get("/v1/packs", params=params, headers=party.auth)
    assert response.status_code == 200, response.text
    return [pack["code"] for pack in response.json()["packs"]]


def traced(client: httpx.Client, party: Party, manufacturer: str) -> list[str]:
    response = client.get("/v1/reports/recall", params={"manufacturer": manufacturer}, headers=party.auth)
    assert response.status_code == 200, response.text
    return [pack["code"] for pack in response.json()["packs"]]


def csv_codes(client: httpx.Client, party: Party, manufacturer: str) -> list[str]:
    params = {"manufacturer": manufacturer, "format": "csv"}
    response = client.get("/v1/reports/recall", params=params, headers=party.auth)
    assert response.status_code == 200, response.text
    return [line.split(",")[0] for line in response.text.splitlines()[1:]]


SAME_MAKER = ["manufacturer", "MANUFACTURER", "  Manufacturer ", "001", "0RJ", "0rj", "宁德时代新能源科技", "宁德时代"]
ENGLISH_NAMED = ["lg-es", "LG-ES", "0lg", "LG Energy Solution", "lg energy solution", " LG  ENERGY solution", "Energy"]


@pytest.mark.parametrize("value", SAME_MAKER)
def test_the_id_a_code_the_chinese_name_and_lower_case_find_the_same_packs(
    client: httpx.Client, parties: dict[Role, Party], makers: dict[str, list[str]], value: str
) -> None:
    regulator = parties[Role.REGULATOR]
    assert listed(client, regulator, manufacturer=value) == makers["manufacturer"]
    assert traced(client, regulator, value) == makers["manufacturer"]
    assert csv_codes(client, regulator, value) == makers["manufacturer"]


@pytest.mark.parametrize("value", ENGLISH_NAMED)
def test_an_english_registered_name_is_found_in_any_case(
    client: httpx.Client, parties: dict[Role, Party], makers: dict[str, list[str]], value: str
) -> None:
    regulator = parties[Role.REGULATOR]
    assert listed(client, regulator, manufacturer=value) == makers["lg-es"]
    report = client.get("/v1/reports/recall", params={"manufacturer": value}, headers=regulator.auth).json()
    assert (report["manufacturer"], report["maker"], report["maker_name"]) == (value, "lg-es", "LG Energy Solution")
    assert report["count"] == 1


NO_MAKER = ["CATL", "0RK", "宁德时代新能源科技有限公司", "The manufacturer", "x", "automaker", "recycler", "比亚迪"]


@pytest.mark.parametrize("value", NO_MAKER)
def test_a_value_naming_no_maker_is_422_unknown_manufacturer_naming_it(
    client: httpx.Client, parties: dict[Role, Party], makers: dict[str, list[str]], value: str
) -> None:
    """Not an empty success: an automaker or a recycler is no maker, and a partial name needs 2 characters."""
    regulator = parties[Role.REGULATOR]
    for path, extra in (("/v1/packs", {}), ("/v1/reports/recall", {}), ("/v1/reports/recall", {"format": "csv"})):
        response = client.get(path, params={"manufacturer": value, **extra}, headers=regulator.auth)
        assert_problem(response, 422, "unknown_manufacturer", UNKNOWN.format(value))


def test_a_value_matching_two_makers_is_422_naming_both(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party], makers: dict[str, list[str]]
) -> None:
    register(ledger, Org("byd-battery", "比亚迪弗迪电池", frozenset({Role.MANUFACTURER}), frozenset({"0BY"})))
    regulator = parties[Role.REGULATOR]
    response = client.get("/v1/packs", params={"manufacturer": "弗迪电池"}, headers=regulator.auth)
    assert response.status_code == 200  # the exact name wins over a part of another's
    response = client.get("/v1/reports/recall", params={"manufacturer": "弗迪"}, headers=regulator.auth)
    assert_problem(
        response,
        422,
        "ambiguous_manufacturer",
        "manufacturer '弗迪' matches 2 makers: byd-battery (比亚迪弗迪电池), fd-battery (弗迪电池); "
        "give its organisation id or code",
    )


def test_malformed_maker_values_are_invalid_filters(
    client: httpx.Client, parties: dict[Role, Party], makers: dict[str, list[str]]
) -> None:
    auth = parties[Role.REGULATOR].auth
    blank = client.get("/v1/packs", params={"manufacturer": "   "}, headers=auth)
    assert_problem(blank, 422, "invalid_filter", "manufacturer is blank; give a maker's organisation id, code or name")
    long = client.get("/v1/reports/recall", params={"manufacturer": "宁" * 201}, headers=auth)
    assert_problem(long, 422, "invalid_filter", "manufacturer is 201 characters long; the limit is 200")


def test_a_maker_filter_of_an_organisation_lists_its_own_custody_only(
    client: httpx.Client, parties: dict[Role, Party], makers: dict[str, list[str]]
) -> None:
    automaker = parties[Role.AUTOMAKER]
    assert listed(client, parties[Role.MANUFACTURER], manufacturer="宁德时代") == makers["manufacturer"]
    assert listed(client, automaker, manufacturer="宁德时代") == []  # it holds none of them
    response = client.get("/v1/packs", params={"manufacturer": "CATL"}, headers=automaker.auth)
    assert_problem(response, 422, "unknown_manufacturer", UNKNOWN.format("CATL"))


# -- flag and batch ---------------------------------------------------------------------------------------


def test_flag_and_batch_select_exactly_their_packs(
    client: httpx.Client, parties: dict[Role, Party], makers: dict[str, list[str]]
) -> None:
    regulator = parties[Role.REGULATOR]
    assert listed(client, regulator, flag="incident") == [code(1)]
    assert listed(client, regulator, flag="recalled") == [code(3)]
    assert listed(client, regulator, flag="corrected") == []
    assert listed(client, regulator, batch="B1") == [code(1), code(3), lg_code(1)]
    assert listed(client, regulator, batch=" B1 ") == [code(1), code(3), lg_code(1)]  # trimmed
    assert listed(client, regulator, batch="b1") == [code(2)]  # exactly as recorded
    assert listed(client, regulator, batch="B2") == []  # a batch is free text: no batch is no packs
    assert listed(client, regulator, batch="B1", manufacturer="lg energy solution") == [lg_code(1)]
    assert listed(client, regulator, batch="B1", flag="recalled", status="produced") == [code(3)]
    page = client.get("/v1/packs", params={"batch": "B1", "limit": 1}, headers=regulator.auth).json()
    following = listed(client, regulator, batch="B1", limit=5, cursor=page["next"])
    assert [p["code"] for p in page["packs"]] + following == [code(1), code(3), lg_code(1)]
    assert listed(client, parties[Role.MANUFACTURER], flag="incident") == [code(1)]  # its own custody
    assert listed(client, parties[Role.AUTOMAKER], flag="incident") == []


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"flag": "thermal"}, f"unknown flag 'thermal'; flags are: {FLAGS}"),
        ({"flag": "lost"}, f"unknown flag 'lost'; flags are: {FLAGS} ('lost' is a status: status=lost)"),
        ({"flag": "Incident"}, f"unknown flag 'Incident'; flags are: {FLAGS}"),
        ({"batch": "  "}, "batch is blank"),
        ({"batch": "B" * 101}, "batch is 101 characters long; a batch is at most 100"),
        ({"batch": "B\t1"}, "batch 'B\\t1' holds U+0009 (a control character) at position 1"),
    ],
)
def test_bad_flags_and_batches_are_refused_naming_what_is_allowed(
    client: httpx.Client, parties: dict[Role, Party], params: dict[str, str], detail: str
) -> None:
    response = client.get("/v1/packs", params=params, headers=parties[Role.REGULATOR].auth)
    assert_problem(response, 422, "invalid_filter", detail)


def test_the_function_the_other_reports_call(ledger: Ledger, makers: dict[str, list[str]]) -> None:
    assert {resolve_maker(ledger, value) for value in SAME_MAKER} == {"manufacturer"}
    assert resolve_maker(ledger, "LG ENERGY SOLUTION", field="maker") == "lg-es"
    with pytest.raises(InputError, match=r"^unknown manufacturer 'CATL'") as refused:
        resolve_maker(ledger, "CATL")
    assert refused.value.code == "unknown_manufacturer"
    choices = [(m.id, m.name, m.codes) for m in maker_choices(ledger)]
    assert choices == [
        ("fd-battery", "弗迪电池", ["03U"]),
        ("importer", "The importer", ["0XM"]),  # an importer registers imported packs under codes of its own
        ("lg-es", "LG Energy Solution", ["0LG"]),
        ("manufacturer", "宁德时代新能源科技", ["001", "0RJ"]),
        ("second-life", "The second_life", ["S2L"]),
    ]
