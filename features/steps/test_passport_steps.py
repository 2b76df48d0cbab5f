"""Steps of features/passport.feature: the battery passport from signed entries (issue 17)."""

from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, scenarios, then, when

from events.errors import NotFoundError
from ledger.log import Ledger
from ledger.usecases.access import ANONYMOUS
from ledger.usecases.passport import get_passport
from tests.api.test_passport import at_path, definition_errors
from tests.support import code, regulator_caller

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
            "via": "a signed `passport` claim (not yet accepted by the platform)"} in answer["missing"]  # fmt: skip
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
