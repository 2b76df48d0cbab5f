"""EU 2023/1542 Annex XIII status derived from a pack's state."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from events.eu_status import EU_STATUSES, eu_status
from events.state import PackState

BASE = PackState(
    code="0RJPBA00HAU0AAG310000001", status="in_stock", custodian="catl", manufacturer="catl", maker_code="0RJ",
    chemistry="LFP", production_date=date(2026, 3, 1), rated_capacity_kwh=60.0,
)  # fmt: skip
RETIRED = {"retired_at": "2026-03-02T00:00:00Z"}


@pytest.mark.parametrize(
    ("status", "changes", "expected"),
    [
        ("produced", {}, "original"),
        ("in_transit", {}, "original"),
        ("in_vehicle", {}, "original"),
        ("lost", {}, "original"),
        ("in_vehicle", {"extra": {"reused": True}}, "re-used"),
        ("in_vehicle", {"extra": {"remanufactured": True, "reused": True}}, "remanufactured"),
        ("retired", {"extra": RETIRED}, "waste"),
        ("in_transit", {"extra": RETIRED}, "waste"),  # a retired pack on its way to a collector
        ("exported", {"extra": RETIRED}, "waste"),
        ("dismantled", {"extra": RETIRED}, "waste"),
        ("recycled", {"extra": RETIRED}, "waste"),
        ("repurposed", {"extra": RETIRED, "successor": "S2LPBA1G5A0000007RP"}, "repurposed"),
        ("in_storage_system", {"origins": ("0RJPBA00HAU0AAG310000001",)}, "repurposed"),
        ("retired", {"origins": ("0RJPBA00HAU0AAG310000001",), "extra": RETIRED}, "waste"),
    ],
)
def test_mapping(status: str, changes: dict[str, Any], expected: str) -> None:
    assert eu_status(BASE.evolve(status=status, **changes)) == expected


def test_the_five_statuses() -> None:
    assert EU_STATUSES == ("original", "repurposed", "re-used", "remanufactured", "waste")
