"""Importers (进口商) in the domain: an importer creates the chain of a pack made abroad with `produced` and
`data.imported` (the foreign manufacturer, the 报关单号, the import date), under a maker prefix it owns; the
pack is the importer's, `produced`, as after any `produced`; the importer deadline is a rule version."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from events.catalogue import parse_payload
from events.deadlines import DEFAULT_RULESET, RULESETS, applicable_rule, lateness
from events.errors import AuthorisationError, InvalidPayload
from events.makers import match_maker
from events.orgs import Org, Role
from tests.events.events_world import ORGS, World, exact, pack_code, produced_data

IMPORTER = Org("xm-import", "厦门进口汽车", frozenset({Role.IMPORTER}), frozenset({"0XM"}))
CODE = pack_code(1, maker="0XM")


def imported(**changes: Any) -> dict[str, Any]:
    data = {"foreign_manufacturer": {"name": "LG Energy Solution", "country": "KR"},
            "customs_declaration": "531320261000012345", "import_date": "2026-03-02"}  # fmt: skip
    return {**data, **changes}


@pytest.fixture
def world() -> World:
    return World(orgs={**ORGS, IMPORTER.id: IMPORTER})


def test_an_importer_registers_an_imported_pack(world: World) -> None:
    state = world.post(CODE, "produced", "xm-import", produced_data(imported=imported()))
    assert (state.status, state.custodian, state.manufacturer, state.maker_code) == (
        "produced", "xm-import", "xm-import", "0XM"
    )  # fmt: skip
    assert state.extra["imported"] == {
        "foreign_manufacturer": {"name": "LG Energy Solution", "country": "KR"},
        "customs_declaration": "531320261000012345",
        "import_date": "2026-03-02",
    }
    world.move(CODE, "xm-import", "geely")
    assert world.post(CODE, "installed", "geely", {"vin": "LSJA24U64MS000001"}).status == "in_vehicle"


def test_an_importer_may_not_produce_without_an_import(world: World) -> None:
    with pytest.raises(AuthorisationError, match=exact(
        "org 'xm-import' (importer) may not post 'produced': requires the manufacturer role and ownership of the "
        "maker prefix '0XM'"
    )):  # fmt: skip
        world.post(CODE, "produced", "xm-import", produced_data())


def test_an_importer_may_not_use_another_makers_prefix(world: World) -> None:
    with pytest.raises(AuthorisationError, match=exact(
        "org 'xm-import' (importer) may not post 'produced': requires the manufacturer role and ownership of the "
        "maker prefix '0RJ', or the importer role and ownership of the maker prefix '0RJ'"
    )):  # fmt: skip
        world.post(pack_code(2), "produced", "xm-import", produced_data(imported=imported()))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"customs_declaration": "531320260000012345"},
            "data.imported.customs_declaration: String should match pattern '^[0-9]{8}1[0-9]{9}$', "
            "got '531320260000012345'",
        ),
        (
            {"customs_declaration": "53132026100001234"},
            "data.imported.customs_declaration: String should match pattern '^[0-9]{8}1[0-9]{9}$', "
            "got '53132026100001234'",
        ),
        (
            {"foreign_manufacturer": {"name": "LG Energy Solution", "country": "Korea"}},
            "data.imported.foreign_manufacturer.country: String should match pattern '^[A-Z]{2}$', got 'Korea'",
        ),
        ({"foreign_manufacturer": {"country": "KR"}}, "data.imported.foreign_manufacturer.name: required"),
    ],
)
def test_a_malformed_import_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidPayload, match=exact(f"invalid 'produced' payload: {message}")):
        parse_payload("produced", produced_data(imported=imported(**changes)))


def test_an_import_after_its_registration_is_refused(world: World) -> None:
    event = world.event(CODE, "produced", "xm-import", produced_data(imported=imported(import_date="2026-03-09")),
                        at=datetime(2026, 3, 4, 2, 0, tzinfo=UTC))  # fmt: skip
    with pytest.raises(InvalidPayload, match=exact(
        "invalid 'produced' payload: data.imported.import_date: 2026-03-09 is after this 'produced' event "
        "(2026-03-04, China time); a pack is registered after its import"
    )):  # fmt: skip
        world.post_event(event)


def test_an_import_before_the_pack_was_made_is_refused(world: World) -> None:
    with pytest.raises(InvalidPayload, match=exact(
        f"invalid 'produced' payload: data.imported.import_date: 2026-02-27 is before the production date "
        f"2026-03-01 in battery code {CODE}"
    )):  # fmt: skip
        world.post(CODE, "produced", "xm-import", produced_data(imported=imported(import_date="2026-02-27")))


def test_an_importer_is_a_maker_found_by_its_code_and_name() -> None:
    orgs = [*(org for org in ORGS.values() if org.id != "importer-x"), IMPORTER]  # importer-x has 0XM too
    assert match_maker(orgs, "0xm") == IMPORTER
    assert match_maker(orgs, "厦门进口") == IMPORTER


def test_the_importer_deadline_is_a_rule_version_of_its_own() -> None:
    assert applicable_rule("produced", IMPORTER, DEFAULT_RULESET) is None  # the default keeps its meaning
    rules = RULESETS["2018-interim-importers"]
    assert rules.rules[1:] == DEFAULT_RULESET.rules and rules.unaccounted_days == DEFAULT_RULESET.unaccounted_days
    cleared = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2 March 2026, China time
    assert lateness("produced", IMPORTER, cleared, datetime(2026, 3, 23, 2, 0, tzinfo=UTC), rules) is None
    late = lateness("produced", IMPORTER, cleared, datetime(2026, 3, 24, 2, 0, tzinfo=UTC), rules)
    assert late is not None
    assert (late.rule, late.rule_text, late.due, late.working_days_late) == (
        "import-15wd", "importer: within 15 working days of customs clearance and inspection", date(2026, 3, 23), 1
    )  # fmt: skip
    assert lateness("produced", ORGS["catl"], cleared, datetime(2026, 6, 1, tzinfo=UTC), rules) is None
