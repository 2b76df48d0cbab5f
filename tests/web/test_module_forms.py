"""The scan page's forms for modules (docs/modules.md): a service shop's module replacement on `serviced`, a
dismantler's module taken out whole on `dismantled`; the payloads they make, and what the domain says of them."""

from __future__ import annotations

import pytest

from api.web.actions import FORMS, payload
from events.catalogue import parse_payload
from events.errors import InvalidPayload
from tests.events.events_world import module_code

OLD, NEW = module_code(1), module_code(2)


def test_the_forms_ask_for_the_module_codes() -> None:
    assert [f.name for f in FORMS["serviced"]] == ["description", "module_old", "module_new"]
    assert [f.name for f in FORMS["dismantled"]][-2:] == ["module_code", "module_mass_kg"]


def test_a_replacement_from_the_phone() -> None:
    data = payload("serviced", {"description": "换模组", "module_old": f" {OLD} ", "module_new": NEW})
    assert data == {"description": "换模组", "replaced_modules": [{"old": OLD, "new": NEW}]}
    assert parse_payload("serviced", data).replaced_modules[0].new == NEW  # type: ignore[attr-defined]


def test_a_service_without_module_codes_replaces_none() -> None:
    assert payload("serviced", {"description": "换采样板", "module_old": "", "module_new": " "}) == {
        "description": "换采样板"
    }


def test_half_a_replacement_is_refused_by_the_domain() -> None:
    data = payload("serviced", {"description": "换模组", "module_old": OLD})
    with pytest.raises(InvalidPayload) as refused:
        parse_payload("serviced", data)
    assert (
        refused.value.message
        == "invalid 'serviced' payload: data.replaced_modules[0].new: Input should be a valid string"
    )


def test_a_module_taken_out_whole_from_the_phone() -> None:
    data = payload("dismantled", {"output_name": "黑粉", "output_mass_kg": "200", "module_code": NEW,
                                  "module_mass_kg": "31.5"})  # fmt: skip
    assert data == {"outputs": [{"kind": "material", "name": "黑粉", "mass_kg": 200.0},
                                {"kind": "module", "code": NEW, "mass_kg": 31.5}]}  # fmt: skip
    assert len(parse_payload("dismantled", data).outputs) == 2  # type: ignore[attr-defined]
