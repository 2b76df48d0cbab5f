"""Steps of features/passport.feature: the battery passport from signed entries (issue 17)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import jsonschema_rs
from pytest_bdd import given, parsers, scenarios, then, when

from api.passport_demo import custodian_attributes, maker_attributes
from events.errors import NotFoundError, PacktraceError
from ledger.log import Ledger
from ledger.usecases.access import ANONYMOUS, Caller
from ledger.usecases.packhistory import get_pack_history
from ledger.usecases.passport import get_passport
from tests.api.test_passport import SCHEMA, at_path, definition_errors
from tests.support import Actor, code, regulator_caller

scenarios("passport.feature")


def _read(ledger: Ledger, caller: Any, n: int) -> Any:
    try:
        return get_passport(ledger, caller, code(n)).model_dump(mode="json")
    except NotFoundError as refused:
        return refused


@when(parsers.parse("an anonymous caller reads the passport of pack {n:d}"), target_fixture="answer")
def anonymous_reads(ledger: Ledger, n: int) -> Any:
    return _read(ledger, ANONYMOUS, n)


@when(parsers.parse("a regulator reads the passport of pack {n:d}"), target_fixture="answer")
def regulator_reads(ledger: Ledger, n: int) -> Any:
    return _read(ledger, regulator_caller(), n)


VALID = "it is the {tier} tier's, and every attribute it holds is valid against its BatteryPass definition"


@then(parsers.parse(VALID))
def valid(answer: dict[str, Any], tier: str) -> None:
    assert answer["tier"] == {"public": "public", "authority": "authority"}[tier]
    assert answer["filled"]
    for filled in answer["filled"]:
        assert definition_errors(at_path(answer["passport"], filled["path"]), filled["definition"]) == []


@then(parsers.parse('its battery status is "{status}" and its chemistry "{chemistry}"'))
def status_and_chemistry(answer: dict[str, Any], status: str, chemistry: str) -> None:
    document = answer["passport"]
    assert (document["sustainability"]["status"], document["identification"]["chemistry"]) == (status, chemistry)


@then("it names the carbon footprint as missing, to be supplied by the manufacturer")
def footprint_missing(answer: dict[str, Any]) -> None:
    assert {"path": "sustainability.carbonFootprint", "supplier": "manufacturer",
            "via": "a signed `passport` claim"} in answer["missing"]  # fmt: skip
    assert "carbonFootprint" not in answer["passport"]["sustainability"]


@then("its source lists the pack's entries under the log's latest checkpoint")
def source(ledger: Ledger, answer: dict[str, Any]) -> None:
    checkpoint = ledger.latest_checkpoint()
    assert checkpoint is not None
    indexes = [row.idx for row in ledger.pack_entries(code(1))]
    assert answer["source"]["entries"] == indexes
    assert (answer["source"]["checkpoint"], answer["source"]["tree_size"]) == (checkpoint.note, checkpoint.size)
    assert answer["source"]["proof"] == f"/v1/packs/{code(1)}/proof"


@then(parsers.parse('the answer is "unknown pack" for pack {n:d}'))
def unknown(answer: Any, n: int) -> None:
    assert isinstance(answer, NotFoundError)
    assert (answer.code, str(answer)) == ("unknown_pack", f"unknown pack {code(n)}")


# -- the `passport` claim --------------------------------------------------------------------------------


@given(parsers.parse('"{holder}" has retired pack {n:d} and handed it to "{grader}", which graded it'))
def graded(ledger: Ledger, actors: dict[str, Actor], holder: str, n: int, grader: str) -> None:
    ledger.append_one(*actors[holder].claim(code(n), "retired", {"reason": "end_of_life"}))
    ledger.append_one(*actors[holder].claim(code(n), "shipped", {"to": grader}))
    ledger.append_one(*actors[grader].claim(code(n), "received", {"from": holder}))
    grade = {"soh_pct": 81.0, "verdict": "repurpose", "residual_capacity_kwh": 48.6, "internal_resistance_mohm": 92.0}
    ledger.append_one(*actors[grader].claim(code(n), "inspected", grade))


def _claim(ledger: Ledger, actors: dict[str, Actor], org: str, n: int, attributes: dict[str, Any]) -> Any:
    try:
        return ledger.append_one(*actors[org].claim(code(n), "passport", {"attributes": attributes}))
    except PacktraceError as refused:
        return refused


CLAIMS: dict[str, Any] = {
    "the maker's passport attributes": lambda n: maker_attributes(code(n), "LFP", 60.0, 350.0, date(2026, 1, 15)),
    "the measured passport attributes": lambda n: custodian_attributes(60.0, 350.0, 81.0, datetime(2026, 3, 1, 9)),
    "a warranty of 8 years": lambda n: {"characteristics": {"warranty": {"lifeValue": 8, "lifeUnit": "unit:year"}}},
    "a warranty of 10 years": lambda n: {"characteristics": {"warranty": {"lifeValue": 10}}},
    "a rated energy of 70 kWh": lambda n: {"performance": {"rated": {"energy": {"value": 70.0}}}},
    "a colour": lambda n: {"identification": {"colour": "red"}},
}


@when(parsers.re(r'"(?P<org>[^"]+)" claims (?P<what>.+?) (?:of|for) pack (?P<n>\d+)'), target_fixture="claimed")
def claims(ledger: Ledger, actors: dict[str, Actor], org: str, what: str, n: str) -> Any:
    return _claim(ledger, actors, org, int(n), CLAIMS[what](int(n)))


@then("nothing required is missing and the passport validates against the whole BatteryPass schema")
def complete(answer: dict[str, Any]) -> None:
    assert answer["missing"] == [] and answer["complete"] is True
    assert [e.message for e in jsonschema_rs.Draft4Validator(SCHEMA).iter_errors(answer["passport"])] == []


@then(parsers.parse('its claimed attributes name "{maker}" and "{custodian}" as who posted them'))
def posters(answer: dict[str, Any], maker: str, custodian: str) -> None:
    by = {f["path"]: f["by"] for f in answer["filled"] if f["source"] == "claim"}
    assert by["sustainability.carbonFootprint"] == maker
    assert by["performance.dynamic.stateOfCharge.value"] == custodian
    assert set(by.values()) == {maker, custodian}


@then("the public tier's passport holds the carbon footprint but not the detailed composition")
def public_part(ledger: Ledger) -> None:
    public = get_passport(ledger, ANONYMOUS, code(1)).model_dump(mode="json")
    assert public["passport"]["sustainability"]["carbonFootprint"][0]["type"] == "Climate Change Total"
    assert "composition" not in public["passport"]["materials"]
    assert "materials.composition" in public["withheld"] and public["complete"] is True


@then(parsers.parse("the claim is refused as {kind}: {message}"))
def refused(claimed: Any, kind: str, message: str) -> None:
    assert isinstance(claimed, PacktraceError), claimed
    assert (claimed.code, claimed.message) == (kind, message)


@then("its warranty is 10 years, from the later claim")
def later_wins(ledger: Ledger, answer: dict[str, Any]) -> None:
    assert answer["passport"]["characteristics"]["warranty"] == {"lifeValue": 10, "lifeUnit": "unit:year"}
    last = [row.idx for row in ledger.pack_entries(code(1))][-1]
    value = next(f for f in answer["filled"] if f["path"] == "characteristics.warranty.lifeValue")
    assert value["entries"] == [last]


def _claim_in_history(ledger: Ledger, caller: Caller) -> Any:
    return get_pack_history(ledger, caller, code(1)).events[-1]


TEST_REPORTS = ("conformity.resultOfTestReport", "performance.rated.lifetime.report")  # Annex XIII (3)


WITHOUT = '"{org}" reads the claim in the pack\'s history without its test results, as its passport withholds them'


@then(parsers.parse(WITHOUT))
def history_without_test_results(ledger: Ledger, actors: dict[str, Actor], org: str) -> None:
    reader = Caller(org=actors[org].org)
    item = _claim_in_history(ledger, reader)
    assert item.type == "passport" and item.redacted[-2:] == [f"data.attributes.{path}" for path in TEST_REPORTS]
    assert "resultOfTestReport" not in item.data["attributes"]["conformity"]
    assert "declarationOfConformity" in item.data["attributes"]["conformity"]
    assert get_passport(ledger, reader, code(1)).withheld == list(TEST_REPORTS)


@then("a regulator reads the claim in the pack's history with its test results")
def history_with_test_results(ledger: Ledger) -> None:
    item = _claim_in_history(ledger, regulator_caller())
    assert "resultOfTestReport" in item.data["attributes"]["conformity"] and item.redacted == []


@when(parsers.parse('"{org}" corrects that claim\'s warranty to {years:d} years'), target_fixture="claimed")
def corrects_claim(ledger: Ledger, actors: dict[str, Actor], org: str, claimed: Any, years: int) -> Any:
    fields = {"attributes": {"characteristics": {"warranty": {"lifeValue": years}}}}
    fix = {"target": claimed.hash, "reason": "typo", "fields": fields}
    try:
        return ledger.append_one(*actors[org].claim(code(1), "corrected", fix))
    except PacktraceError as refused:
        return refused
