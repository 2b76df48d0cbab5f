"""A generated province for the quality early warning: one maker's packs in batches of equal size, each
batch made on its own day, and thermal events placed on chosen batches. Appended fast: pre-signed claims
in ledger batches of 10,000, as tests.logsizes does."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from events.codes import make_code
from events.orgs import Org, Role
from ledger.format.claims import new_claim, sign_claim
from ledger.log import Ledger
from tests.support import PRODUCED, Actor, add_actors

CHUNK = 10_000
FIRST_DAY = date(2026, 1, 5)
NOW = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)  # the report day (China time): 2026-06-30
MAKERS = (
    Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"})),
    Org("calb", "中创新航", frozenset({Role.MANUFACTURER}), frozenset({"0RJ"})),
)
REGULATOR = Org("fj-miit", "福建省工信厅", frozenset({Role.REGULATOR}))


@dataclass(frozen=True)
class Generated:
    actors: dict[str, Actor]
    batches: dict[str, list[str]]  # batch name → its pack codes
    made: dict[str, date]  # batch name → its production day


def batch_name(number: int) -> str:
    return f"B{number}"


def maker_of(number: int) -> str:
    """Odd batches are CATL's, even ones CALB's."""
    return MAKERS[(number - 1) % 2].id


def spec_of(number: int) -> str:
    """Spec 12 for batches 1, 2, 5, 6, …; spec 34 for 3, 4, 7, 8, …"""
    return "12" if (number - 1) % 4 < 2 else "34"


def build(ledger: Ledger, *, batches: int, size: int, thermal: Mapping[str, int], seed: int = 15) -> Generated:
    """`batches` batches B1… of `size` packs (batch Bn made on the n-th day from FIRST_DAY, 31sts skipped, by
    `maker_of(n)` in spec `spec_of(n)`, LFP, one plant); `thermal[batch]` thermal events on that batch's
    first packs, on 2026-06-01."""
    actors = add_actors(ledger, [*MAKERS, REGULATOR])
    serials = iter(range(10**9))
    claims: list[tuple[dict[str, object], str]] = []
    codes: dict[str, list[str]] = {}
    made: dict[str, date] = {}
    days = (FIRST_DAY + timedelta(days=n) for n in range(10_000))
    for number in range(1, batches + 1):
        name = batch_name(number)
        day = next(d for d in days if d.day != 31)  # GB/T 34014 has no confirmed letter for the 31st
        made[name] = day
        maker = actors[maker_of(number)]
        maker_code, spec = next(iter(maker.org.manufacturer_codes)), spec_of(number)
        codes[name] = [make_code(maker_code, "pack", "B", spec, "ABCDEFG", day, n) for n in range(size)]
        at = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
        data = {**PRODUCED, "batch": name, "plant": "宁德基地"}
        claims += [_signed(maker, pack, "produced", data, at, next(serials), seed) for pack in codes[name]]
    fire = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    for name, count in thermal.items():
        data = {"kind": "thermal_event", "severity": "high", "description": "热失控"}
        number = int(name[1:])
        maker = actors[maker_of(number)]
        claims += [_signed(maker, pack, "incident", data, fire, next(serials), seed) for pack in codes[name][:count]]
    for start in range(0, len(claims), CHUNK):
        ledger.append(claims[start : start + CHUNK])
    return Generated(actors, codes, made)


def _signed(
    actor: Actor, pack: str, type_: str, data: dict[str, object], at: datetime, serial: int, seed: int
) -> tuple[dict[str, object], str]:
    claim = new_claim(
        pack=pack, type=type_, actor=actor.id, key=actor.key_id, data=data, at=at,
        claim_id=str(uuid.UUID(int=seed << 64 | serial)),
    )  # fmt: skip
    return claim, sign_claim(claim, actor.private)
