"""Reporting deadlines in Chinese working days (流向不明, packs whose whereabouts are unknown: events.whereabouts).

Rule versions are data (RULESETS): the 2018 interim provisions are the default; a later version is a
new entry, not new code. Dates are counted in China time (UTC+8). The working-day calendar is data
(events.calendar, docs/calendar.md): the years the platform ships, or the calendar in force that a caller
passes (shipped data plus the imports the log records, ledger.usecases.calendar.in_force). A year
without data counts Monday to Friday, and a deadline counted through it is `provisional`.

An event is late when more working days than the rule allows have passed between the day it happened
and the day it was recorded: with a 15-working-day rule, recording on the 15th working day after the
event is on time, on the 16th late by 1. Recording on a rest day counts like the working day before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from events.calendar import Calendar, shipped
from events.catalogue import EventType
from events.orgs import Org, Role
from events.timestamps import china_date


def calendar_covers(year: int, calendar: Calendar | None = None) -> bool:
    """Whether the calendar (default: the shipped one) has the holidays of `year`."""
    return (calendar or shipped()).covers(year)


def is_working_day(day: date, calendar: Calendar | None = None) -> bool:
    return (calendar or shipped()).is_working_day(day)


def add_working_days(start: date, n: int, calendar: Calendar | None = None) -> date:
    """The n-th working day after `start` (`start` itself if n is 0)."""
    return (calendar or shipped()).add_working_days(start, n)


def working_days_between(a: date, b: date, calendar: Calendar | None = None) -> int:
    """Working days in (a, b]; negative when b is before a. add_working_days(a, n) gives n back."""
    return (calendar or shipped()).working_days_between(a, b)


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    event_types: frozenset[EventType]
    roles: frozenset[Role]  # the rule applies when the poster has one of these roles
    working_days: int


@dataclass(frozen=True)
class RuleSet:
    version: str
    title: str
    rules: tuple[Rule, ...]  # the first rule that applies wins
    unaccounted_days: int  # calendar days before a pack is 流向不明


E, R = EventType, Role
RULESETS: dict[str, RuleSet] = {
    "2018-interim": RuleSet(
        version="2018-interim",
        title="新能源汽车动力蓄电池回收利用溯源管理暂行规定 (2018)",
        rules=(
            Rule("installation-15wd", "vehicle certificate / installation: within 15 working days",
                 frozenset({E.INSTALLED}), frozenset({R.AUTOMAKER}), 15),
            Rule("repair-replacement-30wd", "repair or replacement: within 30 working days",
                 frozenset({E.SERVICED, E.REMOVED, E.INSTALLED, E.SWAPPED}),  # a swap: removal and installation
                 frozenset({R.SERVICE, R.SWAP_OPERATOR, R.LESSOR}), 30),
            Rule("collection-intake-30wd", "collection point intake: within 30 working days",
                 frozenset({E.RECEIVED}), frozenset({R.COLLECTOR}), 30),
            Rule("collection-handover-30wd", "collection point hand-over: within 30 working days",
                 frozenset({E.SHIPPED}), frozenset({R.COLLECTOR}), 30),
            Rule("dismantler-removal-15wd", "vehicle dismantler removal: within 15 working days",
                 frozenset({E.REMOVED}), frozenset({R.VEHICLE_DISMANTLER}), 15),
            Rule("dismantler-handover-15wd", "vehicle dismantler hand-over: within 15 working days",
                 frozenset({E.SHIPPED}), frozenset({R.VEHICLE_DISMANTLER}), 15),
            Rule("second-life-shipping-15wd", "second-life product shipping: within 15 working days",
                 frozenset({E.SHIPPED}), frozenset({R.SECOND_LIFE}), 15),
            Rule("recycler-intake-30wd", "recycler intake: within 30 working days",
                 frozenset({E.RECEIVED}), frozenset({R.RECYCLER}), 30),
            Rule("recycler-completion-30wd", "recycler completion: within 30 working days",
                 frozenset({E.RECYCLED}), frozenset({R.RECYCLER}), 30),
        ),
        unaccounted_days=30,
    ),
}  # fmt: skip
# The same provisions read with the importer's duty (article 9: 进口商应在进口新能源汽车通关并完成检验检疫后
# 15个工作日内上传信息), counted from the imported pack's `produced` entry (its `at`: cleared and inspected).
# A version of its own, so that "2018-interim" keeps the meaning its reports were computed under.
RULESETS["2018-interim-importers"] = RuleSet(
    version="2018-interim-importers",
    title="新能源汽车动力蓄电池回收利用溯源管理暂行规定 (2018)，含进口商时限 (with the importer deadline)",
    rules=(
        Rule("import-15wd", "importer: within 15 working days of customs clearance and inspection",
             frozenset({E.PRODUCED}), frozenset({R.IMPORTER}), 15),
        *RULESETS["2018-interim"].rules,
    ),
    unaccounted_days=RULESETS["2018-interim"].unaccounted_days,
)  # fmt: skip
DEFAULT_VERSION = "2018-interim"
DEFAULT_RULESET = RULESETS[DEFAULT_VERSION]


@dataclass(frozen=True)
class Late:
    rule: str  # the rule's stable id, e.g. "installation-15wd"
    rule_text: str
    due: date  # the last day (China time) the report was on time
    working_days_late: int
    provisional: bool = False  # counted through a year without calendar data (Monday to Friday)


def applicable_rule(event_type: str, actor: Org, ruleset: RuleSet = DEFAULT_RULESET) -> Rule | None:
    for rule in ruleset.rules:
        if event_type in rule.event_types and rule.roles & actor.roles:
            return rule
    return None


def lateness(
    event_type: str,
    actor: Org,
    occurred_at: datetime,
    recorded_at: datetime,
    ruleset: RuleSet = DEFAULT_RULESET,
    calendar: Calendar | None = None,
) -> Late | None:
    """Late if `recorded_at` is beyond the rule's working days after `occurred_at` by `calendar` (default:
    the shipped one); None if on time or no rule applies. `provisional` when the days from the event to
    its recording pass through a year the calendar has no data for."""
    rule = applicable_rule(event_type, actor, ruleset)
    if rule is None:
        return None
    days = calendar or shipped()
    occurred, recorded = china_date(occurred_at), china_date(recorded_at)
    late_by = days.working_days_between(occurred, recorded) - rule.working_days
    if late_by <= 0:
        return None
    due = days.add_working_days(occurred, rule.working_days)
    return Late(rule.id, rule.text, due, late_by, days.provisional(occurred, recorded))
