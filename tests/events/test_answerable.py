"""events.whereabouts.answerable: who answers for a 流向不明 pack (docs/ownership.md). The end-of-life reasons
the rules list fall on an owner by transfer (a lessor); every other reason, and a producer that never sold the
pack, stay with the custodian."""

from __future__ import annotations

from dataclasses import replace

import pytest

from events.state import PackState
from events.whereabouts import DEFAULT_WHEREABOUTS, WHEREABOUTS, Reason, answerable


def pack(*, owner: str | None) -> PackState:
    extra = {"owner": owner} if owner is not None else {}
    return PackState("001PB12ABCDEFG61F0000001", "retired", "fz-service", "catl", "001", "LFP", None, 60.0, extra=extra)


def test_the_2018_rules_put_collection_and_unauthorised_holding_on_the_owner() -> None:
    assert WHEREABOUTS["2018-interim"].owner_answers == {Reason.RETIRED_NOT_COLLECTED, Reason.HELD_BY_UNAUTHORISED}


@pytest.mark.parametrize("reason", [Reason.RETIRED_NOT_COLLECTED, Reason.HELD_BY_UNAUTHORISED])
def test_an_owner_by_transfer_answers_for_the_end_of_life_reasons(reason: Reason) -> None:
    assert answerable(pack(owner="fj-baas"), reason) == "fj-baas"


@pytest.mark.parametrize(
    "reason",
    [Reason.SCRAPPED_NOT_HANDED_ON, Reason.SHIPPED_NOT_RECEIVED, Reason.IDLE_IN_STOCK, Reason.IDLE_AT_COLLECTOR,
     Reason.DISPLACED_IN_VEHICLE],
)  # fmt: skip
def test_the_custodian_answers_for_every_other_reason(reason: Reason) -> None:
    assert answerable(pack(owner="fj-baas"), reason) == "fz-service"


def test_the_producer_that_never_sold_the_pack_does_not_answer() -> None:
    state = pack(owner=None)
    assert state.owner == "catl"
    assert answerable(state, Reason.RETIRED_NOT_COLLECTED) == "fz-service"


def test_a_version_without_owner_duties_leaves_all_to_the_custodian() -> None:
    custodial = replace(DEFAULT_WHEREABOUTS, owner_answers=frozenset())
    assert answerable(pack(owner="fj-baas"), Reason.RETIRED_NOT_COLLECTED, custodial) == "fz-service"
