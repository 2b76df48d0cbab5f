"""Steps of features/unaccounted.feature (issue 15, acceptance 2): retired packs handed to organisations
not allowed to hold them, and the compliance report the regulator reads the same day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from ledger.log import Ledger
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from ledger.usecases.reports.compliance import compliance
from tests.support import PRODUCED, Actor, Clock, code, regulator_caller

scenarios("unaccounted.feature")

HOUR = timedelta(hours=1)


def day_at(day: str, hour: int) -> datetime:
    """`hour` o'clock UTC on `day` (China time is 8 hours ahead: the same China day for hours 0-15)."""
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC) + hour * HOUR


@pytest.fixture
def seen() -> dict[str, Any]:
    return {}


def post(ledger: Ledger, actor: Actor, pack: str, type_: str, data: dict[str, Any], at: datetime) -> None:
    ledger.clock = Clock(at + timedelta(minutes=5))
    ledger.append_one(*actor.claim(pack, type_, data, at=at))


@given(parsers.parse('"{org}" has retired pack {n:d} on "{day}"'))
def _retired(ledger: Ledger, actors: dict[str, Actor], org: str, n: int, day: str) -> None:
    at = day_at(day, 0)
    post(ledger, actors["catl"], code(n), "produced", PRODUCED, at)
    post(ledger, actors["catl"], code(n), "shipped", {"to": org}, at + 0.1 * HOUR)
    post(ledger, actors[org], code(n), "received", {"from": "catl"}, at + 0.2 * HOUR)
    post(ledger, actors[org], code(n), "retired", {"reason": "end_of_life"}, at + 0.3 * HOUR)


@given(parsers.parse('"{org}" is {on_or_off} the 规范条件 list from "{day}"'))
def _listing(ledger: Ledger, org: str, on_or_off: str, day: str) -> None:
    orgkeys.update_org(ledger, ADMIN, org, whitelisted=on_or_off == "on", effective=date.fromisoformat(day),
                       reference="工信部公告 2026年第1号")  # fmt: skip


@when(parsers.parse('"{org}" receives retired pack {n:d} on "{day}"'))
def _received(ledger: Ledger, actors: dict[str, Actor], org: str, n: int, day: str) -> None:
    at = day_at(day, 2)
    retiree = ledger.pack_state(code(n))
    assert retiree is not None and retiree.status == "retired"
    post(ledger, actors[retiree.custodian], code(n), "shipped", {"to": org}, at - HOUR)
    post(ledger, actors[org], code(n), "received", {"from": retiree.custodian}, at)


@when(parsers.parse('the regulator reads the compliance report on "{day}"'))
def _report(ledger: Ledger, seen: dict[str, Any], day: str) -> None:
    ledger.clock = Clock(day_at(day, 8))  # 16:00 in China: the same day as a receipt at 10:00
    report = compliance(ledger, regulator_caller())
    seen["report"] = report
    seen["rows"] = {row.pack: row for row in report.unaccounted}


@then(parsers.parse('pack {n:d} is listed as 流向不明 because "{reason}": "{zh}" / "{en}"'))
def _listed(seen: dict[str, Any], n: int, reason: str, zh: str, en: str) -> None:
    row = seen["rows"][code(n)]
    assert (row.reason, row.reason_zh, row.reason_en) == (reason, zh, en)
    assert row.status == "retired"


@then(parsers.parse("pack {n:d} is listed since its receipt, {days:d} days ago, with a limit of {limit:d} days"))
def _since(ledger: Ledger, seen: dict[str, Any], n: int, days: int, limit: int) -> None:
    row = seen["rows"][code(n)]
    state = ledger.pack_state(code(n))
    assert state is not None
    assert row.since == state.extra["status_since"]  # the receipt: the last change of its status
    assert (row.days, row.limit_days, row.limit_unit, row.custodian) == (days, limit, "days", state.custodian)


@then(parsers.parse('the report counts 1 pack "{reason}" and none for any other reason'))
def _counts(seen: dict[str, Any], reason: str) -> None:
    counts = seen["report"].unaccounted_by_reason
    assert counts[reason] == 1 and sum(counts.values()) == 1


@then(parsers.parse("pack {n:d} is not listed as 流向不明"))
def _not_listed(seen: dict[str, Any], n: int) -> None:
    assert code(n) not in seen["rows"]
