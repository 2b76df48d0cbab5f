"""A small province for the domain tests: organisations of every role, an in-memory Context that plays
the ledger's part, and builders for codes and payloads."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from events.codes import make_code, make_second_life_code
from events.orgs import Org, Role
from events.rules import apply, check_batch
from events.state import Event, PackState
from events.vin import vin_with_check_digit

NOW = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

ORGS: dict[str, Org] = {
    org.id: org
    for org in [
        Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"0RJ"})),
        Org("byd", "比亚迪", frozenset({Role.MANUFACTURER, Role.AUTOMAKER}), frozenset({"001"})),
        Org("geely", "吉利汽车", frozenset({Role.AUTOMAKER})),
        Org("importer-x", "Import Co", frozenset({Role.IMPORTER}), frozenset({"0XM"})),
        Org("dealer-fz", "福州车行", frozenset({Role.DEALER})),
        Org("fz-service", "福州维修", frozenset({Role.SERVICE})),
        Org("nio-power", "蔚来能源", frozenset({Role.SWAP_OPERATOR})),
        Org("baas-lease", "电池租赁", frozenset({Role.LESSOR})),
        Org("gem-collect", "格林美回收网点", frozenset({Role.COLLECTOR})),
        Org("fj-dismantler", "报废汽车拆解", frozenset({Role.VEHICLE_DISMANTLER})),
        Org("s2l-energy", "梯次储能", frozenset({Role.SECOND_LIFE}), frozenset({"S2L"})),
        Org("brunp", "邦普循环", frozenset({Role.RECYCLER}), whitelisted=True),
        Org("backyard-recycling", "小作坊", frozenset({Role.RECYCLER})),
        Org("fj-miit", "福建省工信厅", frozenset({Role.REGULATOR})),
        Org("platform", "平台", frozenset({Role.ADMIN})),
    ]
}

VIN_A = vin_with_check_digit("LSJA24U60MS000001")
VIN_B = vin_with_check_digit("LGXCE4CB0P0123456")


def pack_code(serial: int, *, maker: str = "0RJ", chemistry: str = "B", made: date = date(2026, 3, 1)) -> str:
    return make_code(maker, "pack", chemistry, "A0", "0HAU0AA", made, serial)


def module_code(serial: int) -> str:
    return make_code("0RJ", "module", "B", "A0", "0HAU0AA", date(2026, 3, 1), serial)


def second_life_code(serial: int) -> str:
    return make_second_life_code("S2L", "pack", "B", "A1", date(2026, 3, 1), serial)


def produced_data(**changes: Any) -> dict[str, Any]:
    return {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 400.0} | changes


# an imported pack's `produced.imported` (进口): the foreign manufacturer, the 报关单号, the import date
IMPORTED_DATA = {
    "foreign_manufacturer": {"name": "LG Energy Solution", "country": "KR"},
    "customs_declaration": "531320261000012345",
    "import_date": "2026-03-01",
}
MAKER_CODES = {"catl": "0RJ", "byd": "001", "importer-x": "0XM"}  # the makers the replay tests draw


def genesis_data(maker: str, **changes: Any) -> dict[str, Any]:
    """`produced` as `maker` records it: an importer's with `imported`."""
    return produced_data(**({"imported": IMPORTED_DATA} if maker == "importer-x" else {}), **changes)


RECYCLED_DATA = {
    "feed_mass_kg": 400.0,
    "content_kg": {"Li": 5.0, "Fe": 40.0, "Cu": 20.0},
    "recovered_kg": {"Li": 4.6, "Fe": 39.0, "Cu": 19.8},
}


@dataclass
class World:
    """The Context `rules.apply` needs, plus a record of what was posted and a clock that ticks an hour
    per event."""

    orgs: Mapping[str, Org] = field(default_factory=lambda: dict(ORGS))
    packs: dict[str, PackState] = field(default_factory=dict)
    log: list[Event] = field(default_factory=list)
    clock: datetime = START
    now: datetime = NOW

    def org(self, org_id: str) -> Org | None:
        return self.orgs.get(org_id)

    def pack(self, code: str) -> PackState | None:
        return self.packs.get(code)

    def event(self, code: str, type_: str, actor: str, data: Mapping[str, Any] | None = None,
              at: datetime | None = None) -> Event:  # fmt: skip
        if at is None:
            self.clock += timedelta(hours=1)
            at = self.clock
        return Event(pack=code, type=type_, at=at, actor=actor, data=dict(data or {}))

    def post(self, code: str, type_: str, actor: str, data: Mapping[str, Any] | None = None,
             at: datetime | None = None) -> PackState:  # fmt: skip
        return self.post_event(self.event(code, type_, actor, data, at))

    def post_event(self, event: Event) -> PackState:
        state = apply(self.packs.get(event.pack), event, self)
        self.packs[event.pack] = state
        self.log.append(event)
        return state

    def post_batch(self, events: Sequence[Event]) -> list[PackState]:
        """All or nothing, as the ledger appends a batch."""
        check_batch(events)
        packs, log = dict(self.packs), list(self.log)
        try:
            return [self.post_event(event) for event in events]
        except Exception:
            self.packs, self.log = packs, log
            raise

    def produce(self, code: str, maker: str = "catl", **changes: Any) -> PackState:
        return self.post(code, "produced", maker, produced_data(**changes))

    def move(self, code: str, sender: str, receiver: str) -> PackState:
        self.post(code, "shipped", sender, {"to": receiver})
        return self.post(code, "received", receiver, {"from": sender})


def exact(message: str) -> str:
    """A `pytest.raises(match=...)` pattern for exactly this message."""
    return "^" + re.escape(message) + "$"


def starting(message: str) -> str:
    """A `pytest.raises(match=...)` pattern for a message that starts so."""
    return "^" + re.escape(message)
