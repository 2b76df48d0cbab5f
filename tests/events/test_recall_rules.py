"""The recall campaign rules of events/recalls.py: scope checks, what remedies a pack, when it is overdue."""

from __future__ import annotations

from datetime import date

import pytest

from events.errors import InputError
from events.lifecycle import Status
from events.recalls import RECALLABLE, PackEvent, Scope, check_campaign_id, overdue, recalled_data, remedy


def test_packs_out_of_use_cannot_be_recalled() -> None:
    assert {Status.REPURPOSED, Status.DISMANTLED, Status.RECYCLED}.isdisjoint(RECALLABLE)
    assert {Status.PRODUCED, Status.IN_VEHICLE, Status.RETIRED, Status.LOST} <= RECALLABLE


@pytest.mark.parametrize(
    ("scope", "code", "message"),
    [
        (Scope(), "empty_scope",
         "a campaign's scope needs at least one of maker, batch, spec, produced_from, produced_to, chemistry, codes"),
        (Scope(chemistry="LiPo"), "invalid_scope",
         "unknown chemistry 'LiPo'; chemistries are: LFP, NCM, NCA, LMO, LTO, NiMH, sodium-ion, other"),
        (Scope(spec="1"), "invalid_scope", "spec '1' must be the 2-character spec code of the battery code"),
        (Scope(produced_from=date(2026, 2, 1), produced_to=date(2026, 1, 1)), "invalid_scope",
         "produced_from 2026-02-01 is after produced_to 2026-01-01"),
        (Scope(maker="  "), "invalid_scope", "maker is blank; give a maker's organisation id, code or name"),
        (Scope(maker="catl\x00"), "invalid_scope",
         "maker 'catl\\x00' holds U+0000 (a control character) at position 4"),
    ],
)  # fmt: skip
def test_a_bad_scope_is_refused_with_its_reason(scope: Scope, code: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        scope.checked()
    assert (caught.value.code, caught.value.message) == (code, message)


def test_a_scope_round_trips_through_its_json_form() -> None:
    scope = Scope(maker="001", produced_from=date(2026, 1, 1), codes=("A", "B"))
    assert scope.as_dict() == {"maker": "001", "produced_from": "2026-01-01", "codes": ["A", "B"]}
    assert Scope.from_dict(scope.as_dict()) == scope


def test_campaign_ids() -> None:
    assert check_campaign_id("R-2026.01_a") == "R-2026.01_a"
    with pytest.raises(InputError, match="must be 1 to 64 letters") as caught:
        check_campaign_id("-bad")
    assert caught.value.code == "invalid_campaign"


def test_what_remedies_a_recalled_pack() -> None:
    before = PackEvent(5, "serviced", "t5", {"campaign": "C"})
    other = PackEvent(11, "serviced", "t11", {"campaign": "D"})
    plain = PackEvent(12, "serviced", "t12", {})
    fixed = PackEvent(13, "serviced", "t13", {"campaign": "C"})
    retired = PackEvent(14, "retired", "t14", {"reason": "recall"})
    assert remedy("C", 10, [before, other, plain]) is None
    assert remedy("C", 10, [retired, fixed, other]) == fixed
    assert remedy("C", 10, [retired]) == retired
    assert remedy("C", 20, [fixed, retired]) is None


def test_overdue_from_the_day_after_the_due_date() -> None:
    due = date(2026, 3, 31)
    assert not overdue(due, False, date(2026, 3, 31))
    assert overdue(due, False, date(2026, 4, 1))
    assert not overdue(due, True, date(2026, 4, 1))
    assert not overdue(None, False, date(2030, 1, 1))


def test_the_payload_each_recalled_claim_carries() -> None:
    assert recalled_data("C", "why", None) == {"campaign": "C", "reason": "why"}
    assert recalled_data("C", "why", date(2026, 3, 31)) == {"campaign": "C", "reason": "why", "due": "2026-03-31"}
