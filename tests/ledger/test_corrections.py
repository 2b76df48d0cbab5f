"""Corrections count (events.corrections): what the append admits, the `correction` projection it writes,
and `verify` and a rebuild reproducing it. Runs on both backends."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from events import corrections as events_corrections
from events.codes import make_code
from events.corrections import Correction
from events.errors import InvalidPayload
from ledger.append import steps
from ledger.append.outcome import BatchRejected
from ledger.log import Ledger
from ledger.store import correctionrows
from ledger.store.correctionrows import CorrectionRow
from ledger.store.db import write_connection
from ledger.usecases import corrections
from ledger.usecases.verify import verify_database
from tests.support import PRODUCED, Actor

PACK = make_code("001", "pack", "A", "12", "ABCDEFG", date(2026, 1, 15), 1)  # A: no chemistry implied


def _fix(target: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"target": target, "reason": "typed wrong at the plant", "fields": fields}


def test_a_correction_names_only_members_it_may_change(ledger: Ledger, actors: dict[str, Actor]) -> None:
    maker = actors["catl"]
    ledger.append_one(*maker.claim(PACK, "produced", PRODUCED))
    shipped = ledger.append_one(*maker.claim(PACK, "shipped", {"to": "byd-auto"}))
    with pytest.raises(InvalidPayload) as exc:
        ledger.append_one(*maker.claim(PACK, "corrected", _fix(shipped.hash, {"to": "nio-swap"})))
    assert exc.value.code == "uncorrectable_field"
    assert exc.value.message == (
        "'corrected' cannot change 'to' of 'shipped' entries: a correction never changes who holds the pack or "
        "where it went: record the events that really happened; corrections of 'shipped' entries may change: waybill"
    )
    assert ledger.pack_state(PACK).custodian == "catl"  # type: ignore[union-attr]


def test_a_correction_into_values_the_entry_cannot_hold_is_refused(ledger: Ledger, actors: dict[str, Actor]) -> None:
    maker = actors["catl"]
    produced = ledger.append_one(*maker.claim(PACK, "produced", PRODUCED))
    with pytest.raises(InvalidPayload) as exc:
        ledger.append_one(*maker.claim(PACK, "corrected", _fix(produced.hash, {"mass_kg": -5})))
    assert exc.value.code == "invalid_correction"
    assert exc.value.message.startswith(
        "'corrected' gives mass_kg of the 'produced' entry values it cannot hold (invalid 'produced' payload: "
        "data.mass_kg: Input should be greater than 0"
    )


def test_corrections_in_one_batch_build_on_each_other(ledger: Ledger, actors: dict[str, Actor], base: int) -> None:
    maker = actors["catl"]
    produced = ledger.append_one(*maker.claim(PACK, "produced", {**PRODUCED, "batch": "B1"}))
    first, second = ledger.append(
        [
            maker.claim(PACK, "corrected", _fix(produced.hash, {"batch": "B2", "mass_kg": 390.0})),
            maker.claim(PACK, "corrected", _fix(produced.hash, {"batch": "B3"})),
        ]
    )
    ledger.append_one(*maker.claim(PACK, "corrected", _fix(produced.hash, {})))  # changes nothing: no row
    values = {**PRODUCED, "batch": "B3", "mass_kg": 390.0}
    with ledger.engine.connect() as conn:
        rows = correctionrows.all_rows(conn)
        assert correctionrows.current_data(conn, base) == values
    assert rows == [
        CorrectionRow(first.index, base, PACK, "produced", {**values, "batch": "B2"}, ("batch", "mass_kg"), False),
        CorrectionRow(second.index, base, PACK, "produced", values, ("batch",), True),
    ]
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []
    with write_connection(ledger.engine) as conn, conn.begin():
        assert corrections.rebuild(conn) == 2
    with ledger.engine.connect() as conn:
        assert correctionrows.all_rows(conn) == rows


def test_a_refused_request_leaves_no_corrected_values(ledger: Ledger, actors: dict[str, Actor]) -> None:
    maker = actors["catl"]
    produced = ledger.append_one(*maker.claim(PACK, "produced", PRODUCED))
    with pytest.raises(BatchRejected):
        ledger.append(
            [
                maker.claim(PACK, "corrected", _fix(produced.hash, {"batch": "B2"})),
                maker.claim(PACK, "corrected", _fix(produced.hash, {"from": [PACK]})),
            ]
        )
    ledger.append_one(*maker.claim(PACK, "corrected", _fix(produced.hash, {"plant": "宁德"})))
    with ledger.engine.connect() as conn:
        assert [row.members for row in correctionrows.all_rows(conn)] == [("plant",)]
        assert correctionrows.current_data(conn, produced.index) == {**PRODUCED, "plant": "宁德"}


def test_verify_names_corrected_values_the_log_does_not_make(ledger: Ledger, actors: dict[str, Actor]) -> None:
    maker = actors["catl"]
    produced = ledger.append_one(*maker.claim(PACK, "produced", PRODUCED))
    fix = ledger.append_one(*maker.claim(PACK, "corrected", _fix(produced.hash, {"batch": "B2"})))
    with write_connection(ledger.engine) as conn, conn.begin():
        correctionrows.clear(conn)
        forged = {**PRODUCED, "batch": "B9"}
        correctionrows.add(conn, [CorrectionRow(fix.index, produced.index, PACK, "produced", forged, ("batch",))])
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    assert [str(p) for p in report.problems] == [
        f"step 5: correction {fix.index}: the stored corrected values of entry {produced.index} differ from the log's"
    ]


def test_a_database_without_the_projection_gets_it_when_opened(ledger: Ledger, actors: dict[str, Actor]) -> None:
    maker = actors["catl"]
    produced = ledger.append_one(*maker.claim(PACK, "produced", PRODUCED))
    ledger.append_one(*maker.claim(PACK, "corrected", _fix(produced.hash, {"batch": "B2"})))
    with ledger.engine.connect() as conn:
        rows = correctionrows.all_rows(conn)
    with write_connection(ledger.engine) as conn, conn.begin():
        conn.exec_driver_sql("DROP TABLE correction")
    reopened = Ledger(ledger.engine, ledger.signer)
    reopened.init()
    with ledger.engine.connect() as conn:
        assert correctionrows.all_rows(conn) == rows
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []


def test_a_recorded_correction_counts_only_what_it_may_change(
    ledger: Ledger, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log recorded before corrections were checked: its corrections stay as recorded, `verify` passes,
    and the projection ignores the members a correction may not change."""

    def as_recorded(*args: Any, admitting: bool) -> Correction | None:
        return events_corrections.corrected(*args, admitting=False)

    monkeypatch.setattr(steps, "corrected", as_recorded)
    maker = actors["catl"]
    produced = ledger.append_one(*maker.claim(PACK, "produced", PRODUCED))
    shipped = ledger.append_one(*maker.claim(PACK, "shipped", {"to": "byd-auto"}))
    ledger.append_one(*maker.claim(PACK, "corrected", _fix(shipped.hash, {"to": "nio-swap"})))
    mixed = ledger.append_one(*maker.claim(PACK, "corrected", _fix(produced.hash, {"from": [PACK], "batch": "B7"})))
    ledger.append_one(*maker.claim(PACK, "corrected", _fix(produced.hash, {"mass_kg": -1})))  # refused values
    with ledger.engine.connect() as conn:
        assert correctionrows.all_rows(conn) == [
            CorrectionRow(mixed.index, produced.index, PACK, "produced", {**PRODUCED, "batch": "B7"}, ("batch",))
        ]
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []
