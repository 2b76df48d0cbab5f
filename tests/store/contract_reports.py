"""The store contract of the read side: the pack projection's queries (ledger.store.packrows) and the report
tables (ledger.store.reportrows), each statement run on an empty database and read back as records.

Pack and entry rows are written here straight into their tables: the append path writes them, and its
statements have their own contract.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine

from events.state import Binding, PackState
from ledger.store import packrows, reportrows
from ledger.store.packrows import BatchFilter, PackFilter
from ledger.store.reportrows import ElementRow, LateRow
from ledger.store.schema import Entry, LogHead, Pack

BASIS = "rules-1|2024"
OTHER = "rules-2|2024"


def code(maker: str, spec: str, serial: int) -> str:
    """A 24-character code: maker, `PB`, spec, traceability, date, serial."""
    return f"{maker}PB{spec}TRACE01A11{serial:07d}"


def state(pack: str, status: str, custodian: str, **changes: Any) -> PackState:
    base = PackState(
        code=pack,
        status=status,
        custodian=custodian,
        manufacturer="catl",
        maker_code=pack[:3],
        chemistry="LFP",
        production_date=date(2024, 1, 1),
        rated_capacity_kwh=60.0,
    )
    return base.evolve(**changes)


def add_packs(conn: Connection, states: Iterable[PackState], *, vin: str | None = None) -> None:
    conn.execute(
        Pack.__table__.insert(),  # type: ignore[attr-defined]
        [
            {
                "code": s.code,
                "status": s.status,
                "custodian": s.custodian,
                "manufacturer": s.manufacturer,
                "maker_code": s.maker_code,
                "chemistry": s.chemistry,
                "production_date": s.production_date,
                "vin": vin if s.status == "in_vehicle" else None,
                "head": "h" * 64,
                "seq": 0,
                "last_index": 0,
                "state": s.to_dict(),
            }
            for s in states
        ],
    )


def add_entry(conn: Connection, idx: int, pack: str, seq: int, type_: str, data: dict[str, Any], **kw: str) -> None:
    claim = {"type": type_, "actor": kw.get("actor", "catl"), "at": kw.get("at", "2024-01-01T00:00:00Z"), "data": data}
    conn.execute(
        Entry.__table__.insert(),  # type: ignore[attr-defined]
        {
            "idx": idx,
            "pack": pack,
            "seq": seq,
            "hash": f"{idx:064x}",
            "actor": claim["actor"],
            "claim_id": f"claim-{idx}",
            "type": type_,
            "at": claim["at"],
            "recorded_at": kw.get("recorded_at", "2024-01-02T00:00:00.000000Z"),
            "body": json.dumps({"index": idx, "claim": claim}).encode(),
        },
    )


class PackRowsContract:
    def test_find_get_and_states_read_back_the_projection(self, engine: Engine) -> None:
        a, b, c = code("001", "A1", 1), code("001", "B2", 2), code("002", "A1", 3)
        with engine.begin() as conn:
            add_packs(conn, [state(a, "in_stock", "catl"), state(c, "in_vehicle", "byd")], vin="LSJA24U64MS000001")
            add_packs(conn, [state(b, "in_stock", "byd", manufacturer="other")])
        with engine.connect() as conn:
            everything = packrows.find_packs(conn, PackFilter(), after=None, limit=10)
            assert [row.state.code for row in everything] == [a, b, c]
            assert everything[0] == packrows.PackRow(state(a, "in_stock", "catl"), "h" * 64)
            by_maker = packrows.find_packs(conn, PackFilter(manufacturer="catl"), after=a, limit=10)
            assert [row.state.code for row in by_maker] == [c]  # the org id, after the cursor
            by_code = packrows.find_packs(conn, PackFilter(maker_codes=("001",)), after=None, limit=1)
            assert [row.state.code for row in by_code] == [a]  # the maker code, up to the limit
            either = PackFilter(manufacturer="other", maker_codes=("002", "009"))
            assert [row.state.code for row in packrows.find_packs(conn, either, after=None, limit=10)] == [b, c]
            day = date(2024, 1, 1)
            where = PackFilter(
                "in_vehicle", None, "byd", "LSJA24U64MS000001", "LFP", produced_from=day, produced_to=day
            )
            assert [row.state.code for row in packrows.find_packs(conn, where, after=None, limit=10)] == [c]
            assert packrows.find_packs(conn, PackFilter(produced_from=date(2024, 1, 2)), after=None, limit=10) == []
            found = packrows.get_pack(conn, b)
            assert found is not None and found.state.manufacturer == "other"
            assert packrows.get_pack(conn, code("009", "A1", 9)) is None
            states = packrows.pack_states(conn, [c, a, a, code("009", "A1", 9)])
            assert sorted(states) == [a, c] and states[c].custodian == "byd"

    def test_find_packs_by_flag_and_by_the_batch_of_the_produced_entry(self, engine: Engine) -> None:
        a, b, c = code("001", "A1", 1), code("001", "A1", 2), code("002", "A1", 3)
        with engine.begin() as conn:
            add_packs(conn, [state(a, "in_stock", "catl"), state(b, "in_stock", "catl"), state(c, "in_stock", "byd")])
            add_entry(conn, 0, a, 0, "produced", {"chemistry": "LFP", "batch": "B-7 夜班"})
            add_entry(conn, 1, b, 0, "produced", {"chemistry": "LFP", "batch": "b-7 夜班"})
            add_entry(conn, 2, c, 0, "produced", {"chemistry": "LFP", "batch": "B-7 夜班"})
            add_entry(conn, 3, a, 1, "incident", {"kind": "thermal"})
            add_entry(conn, 4, c, 1, "incident", {"kind": "thermal"})
            add_entry(conn, 5, c, 2, "recalled", {"reason": "r"})
            add_entry(conn, 6, b, 1, "corrected", {"batch": "B-7 夜班"})  # a later entry's `batch` does not count
        with engine.connect() as conn:

            def found(**where: Any) -> list[str]:
                return [row.state.code for row in packrows.find_packs(conn, PackFilter(**where), after=None, limit=9)]

            assert found(batch="B-7 夜班") == [a, c]  # exactly as recorded: not `b-7 夜班`
            assert found(batch="b-7 夜班") == [b]
            assert found(batch="B-7") == []
            assert found(flag="incident") == [a, c]
            assert found(flag="recalled") == [c]
            assert found(flag="incident", batch="B-7 夜班", custodian="byd") == [c]
            assert found(flag="incident", maker_codes=("001",)) == [a]
            after_a = packrows.find_packs(conn, PackFilter(flag="incident"), after=a, limit=9)
            assert [row.state.code for row in after_a] == [c]

    def test_pack_states_reads_more_codes_than_one_in_list_holds(self, engine: Engine) -> None:
        codes = [code("001", "A1", n) for n in range(1, 1202)]
        with engine.begin() as conn:
            add_packs(conn, [state(pack, "in_stock", "catl") for pack in codes])
        with engine.connect() as conn:
            assert sorted(packrows.pack_states(conn, codes)) == codes

    def test_counts_and_states_by_status(self, engine: Engine) -> None:
        packs = [
            state(code("001", "A1", 1), "retired", "byd"),
            state(code("001", "A1", 2), "in_transit", "catl", receiver="byd", sender="catl"),
            state(code("001", "A1", 3), "in_stock", "catl"),
            state(code("001", "A1", 4), "retired", "catl"),
        ]
        with engine.begin() as conn:
            add_packs(conn, packs)
        with engine.connect() as conn:
            assert packrows.count_by_status(conn) == {"in_stock": 1, "in_transit": 1, "retired": 2}
            assert list(packrows.count_by_status(conn)) == ["in_stock", "in_transit", "retired"]
            assert packrows.count_by_custodian(conn) == {"byd": 1, "catl": 3}
            lost = packrows.states_with_status(conn, ["in_transit", "retired"])
            assert lost == [packs[1], packs[0], packs[3]]  # by status, then code

    def test_batch_packs_select_by_maker_dates_chemistry_spec_and_parse_placed_states(self, engine: Engine) -> None:
        site = Binding("site", "storage-7", "2024-02-01T00:00:00Z")
        packs = [
            state(code("001", "A1", 1), "in_storage_system", "gen", bindings=(site,)),
            state(code("001", "B2", 2), "in_transit", "catl", receiver="byd"),
            state(code("002", "A1", 3), "in_stock", "catl", chemistry="NCM"),
            state(code("003", "A1", 4), "in_stock", "other", manufacturer="other", production_date=date(2023, 5, 1)),
        ]
        with engine.begin() as conn:
            add_packs(conn, packs)
        with engine.connect() as conn:
            placed = ("in_transit", "in_storage_system")
            by_code = BatchFilter(maker_codes=("001",), producer="nobody")
            rows = packrows.batch_packs(conn, by_code, placed=placed, limit=10)
            assert [row.code for row in rows] == [packs[0].code, packs[1].code]
            assert rows[0].placed == packs[0] and rows[1].placed is not None and rows[1].placed.receiver == "byd"
            assert rows[0].maker_code == "001" and rows[0].production_date == date(2024, 1, 1) and rows[0].vin is None
            by_org = packrows.batch_packs(conn, BatchFilter(producer="catl"), placed=placed, limit=10)
            assert [row.code for row in by_org] == [p.code for p in packs[:3]]
            assert all(row.placed is None for row in by_org[2:])  # in stock: no state read
            where = BatchFilter(
                spec="A1", chemistry="LFP", produced_from=date(2023, 1, 1), produced_to=date(2024, 1, 1)
            )
            rows = packrows.batch_packs(conn, where, placed=placed, limit=10)
            assert [row.code for row in rows] == [packs[0].code, packs[3].code]
            assert len(packrows.batch_packs(conn, BatchFilter(), placed=placed, limit=2)) == 2

    def test_search_packs_by_each_key_and_by_prefix_bounds(self, engine: Engine) -> None:
        packs = [
            state(code("00Z", "A1", 1), "in_vehicle", "byd"),
            state(code("00Z", "A1", 2), "in_stock", "catl"),
            state(code("010", "A1", 3), "in_stock", "catl"),
            state(code("ZZZ", "A1", 4), "in_stock", "catl"),
        ]
        with engine.begin() as conn:
            add_packs(conn, packs, vin="LSJA24U64MS000001")
        first = packs[0].code
        with engine.connect() as conn:
            assert packrows.search_packs(conn, "code", first, limit=5) == [
                packrows.PackSummaryRow(first, "in_vehicle", "byd", "LFP", date(2024, 1, 1), "LSJA24U64MS000001")
            ]
            assert [r.code for r in packrows.search_packs(conn, "vin", "LSJA24U64MS000001", limit=5)] == [first]
            assert [r.code for r in packrows.search_packs(conn, "maker_code", "010", limit=5)] == [packs[2].code]
            assert len(packrows.search_packs(conn, "custodian", "catl", limit=5)) == 3
            assert [r.code for r in packrows.search_packs(conn, "prefix", "00Z", limit=5)] == [first, packs[1].code]
            assert [r.code for r in packrows.search_packs(conn, "prefix", "00", limit=1)] == [first]
            assert [r.code for r in packrows.search_packs(conn, "prefix", "ZZ", limit=5)] == [packs[3].code]
            by_maker = packrows.maker_pack_summaries(conn, "nobody", ["ZZZ", "010"], limit=5)
            assert [r.code for r in by_maker] == [packs[2].code, packs[3].code]
            assert len(packrows.maker_pack_summaries(conn, "catl", [], limit=3)) == 3  # the producer's id alone

    def test_entries_of_a_pack_produced_payloads_and_latest_of_types(self, engine: Engine) -> None:
        a, b = code("001", "A1", 1), code("001", "A1", 2)
        with engine.begin() as conn:
            add_entry(conn, 0, a, 0, "produced", {"chemistry": "LFP"})
            add_entry(conn, 1, b, 0, "produced", {"chemistry": "NCM"})
            add_entry(conn, 2, a, 1, "shipped", {"to": "byd"})
            add_entry(conn, 3, a, 2, "received", {"from": "catl"}, actor="byd")
            add_entry(conn, 4, a, 3, "received", {"from": "byd"}, actor="gen")
        with engine.connect() as conn:
            assert packrows.produced_payloads(conn, [a, b, code("009", "A1", 9)]) == {
                a: {"chemistry": "LFP"},
                b: {"chemistry": "NCM"},
            }
            moves = packrows.latest_entries_of_types(conn, a, ["received", "produced"], 2)
            assert [(m["index"], m["claim"]["actor"]) for m in moves] == [(3, "byd"), (4, "gen")]
            assert len(packrows.latest_entries_of_types(conn, a, ["received", "produced"], 10)) == 3


class ReportStoreContract:
    def test_the_cursor_is_created_once_locked_and_moved(self, engine: Engine) -> None:
        with engine.connect() as conn:
            assert reportrows.cursor_position(conn, BASIS) is None
        for _ in range(2):  # the second insert meets the first: nothing happens
            with engine.begin() as conn:
                reportrows.ensure_cursor(conn, BASIS)
        with engine.begin() as conn:
            assert reportrows.lock_cursor(conn, BASIS) == 0
            reportrows.move_cursor(conn, BASIS, 7)
        with engine.connect() as conn:
            assert reportrows.cursor_position(conn, BASIS) == 7
            assert reportrows.cursor_position(conn, OTHER) is None

    def test_log_size_and_the_entries_a_refresh_reads(self, engine: Engine) -> None:
        pack = code("001", "A1", 1)
        with engine.begin() as conn:
            conn.execute(LogHead.__table__.insert(), {"id": 1, "size": 4, "origin": "test"})  # type: ignore[attr-defined]
            for idx, type_ in enumerate(("produced", "recycled", "shipped", "recycled")):
                add_entry(conn, idx, pack, idx, type_, {"n": idx})
        with engine.connect() as conn:
            assert reportrows.log_size(conn) == 4
            facts = reportrows.entry_facts(conn, 1, 3)
            at, recorded = "2024-01-01T00:00:00Z", "2024-01-02T00:00:00.000000Z"
            assert facts == [
                reportrows.EntryFacts(1, pack, "catl", "recycled", at, recorded),
                reportrows.EntryFacts(2, pack, "catl", "shipped", at, recorded),
            ]
            bodies = reportrows.entry_bodies(conn, [3, 1])
            assert [(b.idx, b.pack, b.actor) for b in bodies] == [(1, pack, "catl"), (3, pack, "catl")]
            assert json.loads(bodies[1].body)["claim"]["data"] == {"n": 3}
            assert reportrows.entry_bodies(conn, []) == []

    def test_late_rows_are_read_back_filtered_grouped_and_below_the_size(self, engine: Engine) -> None:
        def late(idx: int, actor: str, rule: str, pack: str = "P1", basis: str = BASIS) -> LateRow:
            return LateRow(basis, idx, actor, pack, "installed", rule, "2024-01-01T00:00:00Z",
                           "2024-03-01T00:00:00.000000Z", date(2024, 1, 22), idx + 1)  # fmt: skip

        rows = [late(1, "byd", "r15"), late(3, "byd", "r30"), late(5, "gen", "r15", "P2"), late(9, "byd", "r15")]
        with engine.begin() as conn:
            reportrows.add_rows(conn, [*rows, late(2, "byd", "r15", basis=OTHER)], [])
        with engine.connect() as conn:
            assert reportrows.late_rows(conn, BASIS, 9, limit=10) == rows[:3]
            assert reportrows.late_rows(conn, BASIS, 10, actor="byd", rule="r15", limit=10) == [rows[0], rows[3]]
            assert reportrows.late_rows(conn, BASIS, 10, limit=1) == rows[:1]
            groups = sorted(reportrows.late_groups(conn, BASIS, 9))
            assert groups == [("byd", "r15", 1), ("byd", "r30", 1), ("gen", "r15", 1)]
            assert reportrows.late_days_of_pack(conn, BASIS, "P1", 1, 3) == {1: 2, 3: 4}
            assert reportrows.late_days_of_pack(conn, BASIS, "P1", 0, -1) == {}

    def test_counts_are_inserted_then_added_to(self, engine: Engine) -> None:
        day = date(2024, 1, 1)
        with engine.begin() as conn:
            reportrows.add_actor_counts(conn, BASIS, {"byd": Counter(entries=2, timed=1, late=1)})
            reportrows.add_day_counts(conn, BASIS, {(day, "byd"): Counter(entries=2, late=1)})
            reportrows.add_actor_counts(conn, OTHER, {"byd": Counter(entries=5)})
        with engine.begin() as conn:
            reportrows.add_actor_counts(conn, BASIS, {"byd": Counter(entries=1), "gen": Counter(entries=3)})
            reportrows.add_day_counts(
                conn,
                BASIS,
                {
                    (day, "byd"): Counter(entries=1),
                    (day, "gen"): Counter(entries=4),
                    (date(2024, 1, 3), "gen"): Counter(),
                },
            )
            reportrows.add_actor_counts(conn, BASIS, {})
        with engine.connect() as conn:
            assert sorted(reportrows.actor_counts(conn, BASIS)) == [("byd", 3, 1, 1), ("gen", 3, 0, 0)]
            assert reportrows.actor_counts(conn, BASIS, timed_only=True) == [reportrows.ActorCounts("byd", 3, 1, 1)]
            assert reportrows.actor_counts(conn, OTHER) == [("byd", 5, 0, 0)]
            assert reportrows.day_counts(conn, BASIS, day, date(2024, 1, 2)) == {day: reportrows.DayCounts(day, 7, 1)}
            assert reportrows.day_counts(conn, BASIS, day, day, actors=["byd"]) == {
                day: reportrows.DayCounts(day, 3, 1)
            }
            assert reportrows.day_counts(conn, BASIS, day, day, actors=[]) == {}
            assert sorted(reportrows.day_counts(conn, BASIS, day, date(2024, 1, 3))) == [day, date(2024, 1, 3)]

    def test_counts_of_more_keys_than_one_in_list_holds(self, engine: Engine) -> None:
        actors = {f"org-{n:04d}": Counter(entries=1) for n in range(1100)}
        for _ in range(2):
            with engine.begin() as conn:
                reportrows.add_actor_counts(conn, BASIS, actors)
        with engine.connect() as conn:
            assert {row.entries for row in reportrows.actor_counts(conn, BASIS)} == {2}

    def test_recovery_sums_leave_implausible_masses_apart(self, engine: Engine) -> None:
        def element(idx: int, name: str, content: float, recovered: float, below: bool = False) -> ElementRow:
            return ElementRow(BASIS, idx, name, "gem" if idx < 10 else "brunp", f"P{idx}", content, recovered, below)

        plausible = [element(1, "Li", 10.0, 9.0), element(1, "Co", 5.0, 4.0, True), element(2, "Li", 20.0, 15.0, True),
                     element(11, "Li", 8.0, 8.0)]  # fmt: skip
        implausible = [element(3, "Li", 0.0, 0.0), element(3, "Ni", 1e12, 1.0), element(4, "Li", 5.0, 6.0),
                       element(5, "Li", math.inf, 1.0)]  # fmt: skip
        with engine.begin() as conn:
            reportrows.add_rows(conn, [], [*plausible, *implausible, element(20, "Li", 1.0, 1.0)])
        with engine.connect() as conn:
            sums = reportrows.element_sums(conn, BASIS, 20, max_kg=1e6)
            assert sums == [
                reportrows.ElementSum("brunp", "Li", 1, 8.0, 8.0, 0),
                reportrows.ElementSum("gem", "Co", 1, 5.0, 4.0, 1),
                reportrows.ElementSum("gem", "Li", 2, 30.0, 24.0, 1),
            ]
            apart = reportrows.implausible_elements(conn, BASIS, 20, max_kg=1e6, limit=10)
            assert apart == implausible and apart[3].content_kg == math.inf
            assert len(reportrows.implausible_elements(conn, BASIS, 20, max_kg=1e6, limit=2)) == 2
            counts = reportrows.recycled_counts(conn, BASIS, 20)
            assert counts == {
                "gem": reportrows.RecycledCount("gem", 5, 2),
                "brunp": reportrows.RecycledCount("brunp", 1, 0),
            }
