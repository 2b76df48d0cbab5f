"""流向不明 (whereabouts unknown), every reason, with its rules as data (docs/lifecycle.md, "流向不明").

A pack is unaccounted for when one of these holds (the first that does names the reason):

held-by-unauthorised    it was received (or found) after its retirement by an organisation not allowed to
                        hold a retired pack: one whose roles are not KEEPERS, or a recycler that was not on
                        the 规范条件 list on the day it received the pack. Listed from that day on, with no
                        grace period.
scrapped-not-handed-on  its vehicle was scrapped (a `retired` with reason `vehicle_scrapped`, or a retired
                        pack held by a vehicle dismantler) and the pack is still where it was retired or
                        received: not shipped on within `scrapped_working_days` working days.
retired-not-collected   retired, and not received by a collector, second-life company or recycler within
                        `not_collected_days` calendar days.
shipped-not-received    in transit for more than `not_received_days` calendar days.
idle-in-stock           in stock (never installed, never retired) for more than `idle_in_stock_days` days.
idle-at-collector       retired and held by a collection point for more than `idle_at_collector_days` days.
displaced-in-vehicle    still recorded in a vehicle into which another pack was installed later, its removal
                        not reported within `displaced_working_days` working days of that installation.

Versions are data (WHEREABOUTS), like the deadline rules (events.deadlines.RULESETS): a new version is a
new entry. Each version names the deadline rule set its N days come from.

Who answers for an unaccounted pack (`answerable`, docs/ownership.md) is data too: the custodian, except for
the reasons a version lists in `owner_answers` -- the end-of-life duties (a retired pack goes to a collector,
and to nobody without the right to hold it) -- which fall on the pack's owner when an `ownership_transferred`
made someone other than its producer the owner (车电分离: the lessor owns the battery it leases out, and
answers for where it ends up). The producer that merely has not sold the pack is not made to answer for what
its buyers' customers hold: the 2018 provisions name the enterprises that hold or handle the pack.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise

from events import extras
from events.deadlines import RULESETS, RuleSet, add_working_days
from events.lifecycle import Status
from events.orgs import Org, Role
from events.state import PackState
from events.timestamps import china_date, from_rfc3339


class Reason(StrEnum):
    HELD_BY_UNAUTHORISED = "held-by-unauthorised"
    SCRAPPED_NOT_HANDED_ON = "scrapped-not-handed-on"
    RETIRED_NOT_COLLECTED = "retired-not-collected"
    SHIPPED_NOT_RECEIVED = "shipped-not-received"
    IDLE_IN_STOCK = "idle-in-stock"
    IDLE_AT_COLLECTOR = "idle-at-collector"
    DISPLACED_IN_VEHICLE = "displaced-in-vehicle"


# (Chinese, English): what the report, its CSV and the page say of each reason
REASON_TEXT: dict[Reason, tuple[str, str]] = {
    Reason.HELD_BY_UNAUTHORISED: ("退役电池由无资质企业持有（未列入规范条件或无回收角色）",
                                  "Retired pack held by an organisation not allowed to hold it"),
    Reason.SCRAPPED_NOT_HANDED_ON: ("车辆报废后电池未按期移交", "Vehicle scrapped, pack not handed on in time"),
    Reason.RETIRED_NOT_COLLECTED: ("退役后未被回收网点、梯次或再生利用企业接收", "Retired, not collected since"),
    Reason.SHIPPED_NOT_RECEIVED: ("已发货未被接收", "Shipped, not received"),
    Reason.IDLE_IN_STOCK: ("库存闲置超期", "Idle in stock beyond the dwell time"),
    Reason.IDLE_AT_COLLECTOR: ("回收网点滞留超期", "Held at a collection point beyond the dwell time"),
    Reason.DISPLACED_IN_VEHICLE: ("车辆已装入其他电池，本电池拆卸未上报",
                                  "Another pack was installed in its vehicle; its removal was never reported"),
}  # fmt: skip

SCRAP_REASON = "vehicle_scrapped"  # `retired.reason` of a pack whose vehicle was scrapped


@dataclass(frozen=True)
class WhereaboutsRules:
    version: str
    title: str
    deadlines: str  # the events.deadlines rule set the not-received / not-collected days come from
    keepers: frozenset[Role]  # roles that may hold a retired pack
    listed_roles: frozenset[Role]  # of them, roles that must also be on the 规范条件 list (Org.whitelisted)
    scrapped_working_days: int  # a scrapped vehicle's pack is handed on within these working days
    idle_in_stock_days: int  # calendar days in stock before a pack is idle
    idle_at_collector_days: int  # calendar days a collection point may hold a retired pack
    displaced_working_days: int  # working days to report the removal of a pack another pack replaced
    unaccounted_days: int  # calendar days before a shipped pack is not received, a retired one not collected
    # the reasons whose duty falls on an owner by transfer rather than on the custodian (`answerable`)
    owner_answers: frozenset[Reason] = frozenset()


R = Role
WHEREABOUTS: dict[str, WhereaboutsRules] = {
    "2018-interim": WhereaboutsRules(
        version="2018-interim",
        title="新能源汽车动力蓄电池回收利用溯源管理暂行规定 (2018)；新能源汽车废旧动力蓄电池综合利用行业规范条件",
        deadlines="2018-interim",
        keepers=frozenset({R.COLLECTOR, R.SECOND_LIFE, R.RECYCLER, R.VEHICLE_DISMANTLER}),
        listed_roles=frozenset({R.RECYCLER}),
        scrapped_working_days=15,  # dismantler hand-over: events.deadlines "dismantler-handover-15wd"
        idle_in_stock_days=365,
        idle_at_collector_days=90,
        displaced_working_days=30,  # repair or replacement: events.deadlines "repair-replacement-30wd"
        unaccounted_days=RULESETS["2018-interim"].unaccounted_days,
        owner_answers=frozenset({Reason.RETIRED_NOT_COLLECTED, Reason.HELD_BY_UNAUTHORISED}),
    ),
}  # fmt: skip
DEFAULT_WHEREABOUTS = WHEREABOUTS["2018-interim"]


def rules_for(ruleset: RuleSet) -> WhereaboutsRules:
    """The whereabouts rules of a deadline rule set: the version of the same name (else the default), with
    the rule set's own limit in days."""
    rules = next((w for w in WHEREABOUTS.values() if w.deadlines == ruleset.version), DEFAULT_WHEREABOUTS)
    return replace(rules, unaccounted_days=ruleset.unaccounted_days)


@dataclass(frozen=True)
class Custody:
    """How the custodian came to hold a retired pack: `org` as it stood (whitelist included) on the day it
    received or found the pack, at `at`."""

    org: Org
    at: datetime


@dataclass(frozen=True)
class Unaccounted:
    reason: Reason
    since: datetime  # when the reason's clock started
    days: int  # whole calendar days since `since`
    limit_days: int  # the rule's limit (0: listed at once)
    working_days: bool = False  # whether `limit_days` counts working days


def may_hold_retired(org: Org, rules: WhereaboutsRules = DEFAULT_WHEREABOUTS) -> bool:
    """Whether `org`, as it stood then (whitelist included), may hold a retired pack."""
    keeps = org.roles & rules.keepers
    return bool(keeps) and (org.whitelisted or not keeps <= rules.listed_roles)


# Statuses in which a retired pack stays with its custodian: a custody the reasons look at
HELD_STATUSES: tuple[Status, ...] = (Status.RETIRED, Status.DISMANTLED, Status.RECYCLED, Status.IN_LOT)
# Statuses any reason can apply to: what a report loads
CANDIDATE_STATUSES: tuple[Status, ...] = (Status.IN_TRANSIT, Status.IN_STOCK, Status.IN_VEHICLE, *HELD_STATUSES)


def displacements(states: Iterable[PackState]) -> dict[str, datetime]:
    """Of packs still recorded in a vehicle, those into whose vehicle another pack was installed later: each
    with the time of the first later installation (the `displaced_by` of `whereabouts`)."""
    by_vin: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for state in states:
        binding = state.binding
        if state.status == Status.IN_VEHICLE and binding is not None and binding.kind == "vin":
            by_vin[binding.target].append((binding.start, state.code))
    displaced: dict[str, datetime] = {}
    for bound in by_vin.values():
        bound.sort()
        for (_, code), (later, _) in pairwise(bound):
            displaced[code] = from_rfc3339(later)
    return displaced


def whereabouts(
    state: PackState,
    now: datetime,
    *,
    custody: Custody | None = None,
    retired_reason: str | None = None,
    retired_by: Org | None = None,
    displaced_by: datetime | None = None,
    rules: WhereaboutsRules = DEFAULT_WHEREABOUTS,
) -> Unaccounted | None:
    """Why `state` is 流向不明 at `now`, or None.

    `custody`: how the custodian came to hold the pack after its retirement (its latest `received` or
    `found`), None if it did not (it holds the pack it retired, or nobody received it since). Only asked
    of retired packs in HELD_STATUSES. `retired_reason` and `retired_by`: the `reason` and the author of the pack's
    latest `retired` entry (only asked of packs whose status is `retired`). `displaced_by`:
    when another pack was installed in the pack's vehicle (`displacements`)."""
    status = state.status
    retired_at = state.extra.get(extras.RETIRED_AT)
    since = from_rfc3339(state.extra[extras.STATUS_SINCE])

    def found(reason: Reason, start: datetime, limit: int, *, working: bool = False) -> Unaccounted:
        return Unaccounted(reason, start, (now - start).days, limit, working)

    held = retired_at is not None and custody is not None and status in HELD_STATUSES
    if held and custody is not None and not may_hold_retired(custody.org, rules):
        return found(Reason.HELD_BY_UNAUTHORISED, custody.at, 0)
    if status == Status.RETIRED:
        at_dismantler = custody is not None and custody.org.has(Role.VEHICLE_DISMANTLER)
        scrapped = retired_reason == SCRAP_REASON or (retired_by is not None and retired_by.has(R.VEHICLE_DISMANTLER))
        due = add_working_days(china_date(since), rules.scrapped_working_days)
        if (at_dismantler or (custody is None and scrapped)) and china_date(now) > due:
            return found(Reason.SCRAPPED_NOT_HANDED_ON, since, rules.scrapped_working_days, working=True)
    limit = timedelta(days=rules.unaccounted_days)
    if (
        retired_at is not None
        and extras.COLLECTED_AT not in state.extra
        and status in (Status.RETIRED, Status.IN_TRANSIT)
    ):
        retired = from_rfc3339(retired_at)
        if now - retired > limit:
            return found(Reason.RETIRED_NOT_COLLECTED, retired, rules.unaccounted_days)
    if status == Status.IN_TRANSIT and now - since > limit:
        return found(Reason.SHIPPED_NOT_RECEIVED, since, rules.unaccounted_days)
    if status == Status.IN_STOCK and now - since > timedelta(days=rules.idle_in_stock_days):
        return found(Reason.IDLE_IN_STOCK, since, rules.idle_in_stock_days)
    at_collector = status == Status.RETIRED and custody is not None and custody.org.has(Role.COLLECTOR)
    if at_collector and now - since > timedelta(days=rules.idle_at_collector_days):
        return found(Reason.IDLE_AT_COLLECTOR, since, rules.idle_at_collector_days)
    late = displaced_by is not None and china_date(now) > add_working_days(
        china_date(displaced_by), rules.displaced_working_days
    )
    if status == Status.IN_VEHICLE and displaced_by is not None and late:
        return found(Reason.DISPLACED_IN_VEHICLE, displaced_by, rules.displaced_working_days, working=True)
    return None


def answerable(state: PackState, reason: Reason, rules: WhereaboutsRules = DEFAULT_WHEREABOUTS) -> str:
    """Who answers for `state` being unaccounted for `reason`: its owner when the rules put that reason's duty
    on the owner and an `ownership_transferred` made the owner (not the producer by default); else its
    custodian."""
    if reason in rules.owner_answers and extras.OWNER in state.extra:
        return state.owner
    return state.custodian
