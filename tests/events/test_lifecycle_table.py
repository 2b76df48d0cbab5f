"""Every (status, event type) pair: allowed ones lead where DESIGN §2.4 says, the others are refused
with a message naming the status, the event and what is allowed. The expectations are written here
from the design, not read from events.lifecycle."""

from __future__ import annotations

import pytest

from events.catalogue import EventType
from events.errors import LifecycleError
from events.lifecycle import TRANSITIONS, Status, allowed_events, next_status, terminal_statuses
from tests.events.events_world import exact, starting

FLAGS_LIVE = ("incident", "recalled", "corrected")

EXPECTED: dict[str, dict[str, str]] = {
    "produced": {"shipped": "in_transit", "installed": "in_vehicle", "retired": "retired", "lost": "lost",
                 "exported": "exported", "serviced": "produced", "transferred": "transferred"}
                | dict.fromkeys(FLAGS_LIVE, "produced"),
    "in_transit": {"received": "in_stock", "lost": "lost"} | dict.fromkeys(FLAGS_LIVE, "in_transit"),
    "in_stock": {"shipped": "in_transit", "installed": "in_vehicle", "retired": "retired", "lost": "lost",
                 "exported": "exported", "serviced": "in_stock", "inspected": "in_stock", "swapped": "in_vehicle",
                 "transferred": "transferred"}
                | dict.fromkeys(FLAGS_LIVE, "in_stock"),
    "in_vehicle": {"removed": "in_stock", "retired": "retired", "lost": "lost", "exported": "exported",
                   "serviced": "in_vehicle", "swapped": "in_stock"} | dict.fromkeys(FLAGS_LIVE, "in_vehicle"),
    "in_storage_system": {"removed": "in_stock", "retired": "retired", "lost": "lost",
                          "serviced": "in_storage_system", "inspected": "in_storage_system"}
                         | dict.fromkeys(FLAGS_LIVE, "in_storage_system"),
    "retired": {"shipped": "in_transit", "repurposed": "repurposed", "dismantled": "dismantled", "lost": "lost",
                "exported": "exported", "inspected": "retired", "lotted": "in_lot", "transferred": "transferred"}
               | dict.fromkeys(FLAGS_LIVE, "retired"),
    "repurposed": {"corrected": "repurposed"},
    "dismantled": {"recycled": "recycled", "corrected": "dismantled", "lotted": "in_lot"},
    "recycled": {"corrected": "recycled"},
    "lost": {"found": "in_stock", "recalled": "lost", "corrected": "lost"},
    "exported": {"found": "in_stock", "recalled": "exported", "corrected": "exported"},
    "in_lot": {"corrected": "in_lot"},  # shredded in a recycler lot (docs/recycling-lots.md)
    # handed over to another platform (docs/federation.md)
    "transferred": {"recalled": "transferred", "corrected": "transferred"},
}  # fmt: skip
# Ownership and leases (车电分离) never change the status: where each is allowed, it leaves the status as it is
OWNERSHIP_ALLOWED = {
    "ownership_transferred": ("produced", "in_transit", "in_stock", "in_vehicle", "in_storage_system", "retired"),
    "leased": ("produced", "in_stock", "in_vehicle", "in_storage_system"),
    "lease_ended": ("produced", "in_transit", "in_stock", "in_vehicle", "in_storage_system", "retired", "lost"),
}
# the battery passport's claim (docs/passport.md) neither: allowed while the pack is a battery on this platform
OWNERSHIP_ALLOWED["passport"] = ("produced", "in_transit", "in_stock", "in_vehicle", "in_storage_system", "retired",
                                 "lost")  # fmt: skip
for _event, _statuses in OWNERSHIP_ALLOWED.items():
    for _status in _statuses:
        EXPECTED[_status][_event] = _status

PAIRS = [(status, event) for status in Status for event in EventType]


def test_expectations_cover_every_status() -> None:
    assert set(EXPECTED) == {str(s) for s in Status}


@pytest.mark.parametrize(("status", "event"), PAIRS, ids=[f"{s}-{e}" for s, e in PAIRS])
def test_every_pair(status: Status, event: EventType) -> None:
    allowed = EXPECTED[status]
    if event in allowed:
        assert next_status(status, event) == allowed[event]
        assert next_status(str(status), str(event)) == allowed[event]  # plain strings work the same
    else:
        with pytest.raises(LifecycleError) as caught:
            next_status(status, event)
        assert caught.value.message == (
            f"pack is {status}: '{event}' is not allowed; allowed: {', '.join(sorted(allowed))}"
        )
        assert caught.value.code == "illegal_transition"


def test_the_message_form_of_the_brief() -> None:
    with pytest.raises(LifecycleError) as caught:
        next_status("in_vehicle", "dismantled")
    assert caught.value.message == (
        "pack is in_vehicle: 'dismantled' is not allowed; allowed: corrected, exported, incident, lease_ended, "
        "leased, lost, ownership_transferred, passport, recalled, removed, retired, serviced, swapped"
    )


def test_the_table_is_exactly_the_expected_pairs() -> None:
    assert {(str(s), str(e)): str(t) for (s, e), t in TRANSITIONS.items()} == {
        (s, e): t for s, events in EXPECTED.items() for e, t in events.items()
    }


@pytest.mark.parametrize("status", list(Status))
def test_allowed_events_are_sorted_and_match(status: Status) -> None:
    assert allowed_events(status) == sorted(EXPECTED[status])


def test_produced_is_the_genesis_only() -> None:
    assert next_status(None, "produced") == "produced"
    assert next_status(None, "arrived") == "in_stock"  # handed over by another platform (docs/federation.md)
    assert allowed_events(None) == ["arrived", "produced"]
    with pytest.raises(
        LifecycleError, match=exact("pack does not exist yet: 'shipped' is not allowed; allowed: arrived, produced")
    ):
        next_status(None, "shipped")
    assert all("produced" not in events and "arrived" not in events for events in EXPECTED.values())


def test_installed_at_a_site_goes_into_a_storage_system() -> None:
    assert next_status("in_stock", "installed", binding_kind="site") == "in_storage_system"
    assert next_status("produced", "installed", binding_kind="site") == "in_storage_system"
    assert next_status("in_stock", "installed", binding_kind="vin") == "in_vehicle"
    with pytest.raises(LifecycleError, match=exact("'installed' binds to a vin or a site, not to 'boat'")):
        next_status("in_stock", "installed", binding_kind="boat")


@pytest.mark.parametrize(("status", "event"), [("in_transit", "received"), ("lost", "found"), ("exported", "found")])
def test_a_retired_pack_returns_to_retired_not_in_stock(status: str, event: str) -> None:
    assert next_status(status, event) == "in_stock"
    assert next_status(status, event, retired=True) == "retired"


def test_retired_changes_nothing_else() -> None:
    assert next_status("retired", "shipped", retired=True) == "in_transit"
    assert next_status("retired", "dismantled", retired=True) == "dismantled"


@pytest.mark.parametrize(
    ("status", "direction", "after"), [("in_vehicle", "out", "in_stock"), ("in_stock", "in", "in_vehicle")]
)
def test_a_swap_direction_fits_its_status(status: str, direction: str, after: str) -> None:
    assert next_status(status, "swapped", swap_direction=direction) == after


@pytest.mark.parametrize(("status", "direction"), [("in_vehicle", "in"), ("in_stock", "out")])
def test_a_swap_direction_that_does_not_fit_is_refused(status: str, direction: str) -> None:
    with pytest.raises(LifecycleError) as caught:
        next_status(status, "swapped", swap_direction=direction)
    assert caught.value.message == (
        f"pack is {status}: 'swapped' '{direction}' is not allowed; a swap is 'out' when in_vehicle or 'in' when "
        "in_stock"
    )
    assert caught.value.code == "illegal_transition"


def test_a_retired_pack_cannot_be_swapped_in() -> None:
    with pytest.raises(LifecycleError, match=starting("pack is retired: 'swapped' is not allowed; allowed: ")):
        next_status("retired", "swapped", swap_direction="in")


def test_unknown_status_is_refused() -> None:
    with pytest.raises(LifecycleError, match=exact("unknown pack status 'melted'")):
        next_status("melted", "shipped")


def test_terminal_statuses() -> None:
    assert terminal_statuses() == ["repurposed", "recycled", "in_lot", "transferred"]
