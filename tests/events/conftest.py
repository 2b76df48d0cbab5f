"""Fixtures of the domain tests: the shared GB/T 34014 test data and a small in-memory province.

Tests that take a `shared_valid_code`, `shared_invalid_code`, `shared_second_life_code`,
`shared_valid_vin` or `shared_invalid_vin` argument run once per entry of
tests/vectors/gbt34014-codes.json.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from tests import vectors
from tests.events.events_world import World

SHARED_CASES = {
    "shared_valid_code": ("valid", lambda case: case["code"]),
    "shared_invalid_code": ("invalid", lambda case: case["why"]),
    "shared_second_life_code": ("second_life_valid", lambda case: case["code"]),
    "shared_valid_vin": ("vins_valid", str),
    "shared_invalid_vin": ("vins_invalid", str),
}


@cache
def codes_testdata() -> dict[str, Any]:
    data: dict[str, Any] = vectors.load("gbt34014-codes.json")
    return data


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for argument, (key, name) in SHARED_CASES.items():
        if argument in metafunc.fixturenames:
            cases = codes_testdata()[key]
            metafunc.parametrize(argument, cases, ids=[name(case) for case in cases])


@pytest.fixture
def testdata() -> dict[str, Any]:
    """The whole gbt34014-codes.json."""
    return codes_testdata()


@pytest.fixture
def world() -> World:
    return World()
