"""Working days around the 2025 and 2026 Spring Festival and National Day (the shipped calendar), late reports,
流向不明."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from events.deadlines import (
    DEFAULT_RULESET,
    RULESETS,
    Late,
    add_working_days,
    applicable_rule,
    calendar_covers,
    is_working_day,
    lateness,
    working_days_between,
)
from events.errors import InputError
from events.orgs import Org, Role
from tests.events.events_world import ORGS, exact


def d(text: str) -> date:
    return date.fromisoformat(text)


def china(text: str) -> datetime:
    """An instant given in China time (UTC+8)."""
    return datetime.fromisoformat(text + "+08:00")


# Published by the State Council; make-up working days fall on weekends.
HOLIDAYS = [
    "2025-01-28", "2025-01-29", "2025-02-03", "2025-02-04",  # Spring Festival 2025
    "2025-10-01", "2025-10-06", "2025-10-08",  # National Day + Mid-Autumn 2025
    "2026-02-15", "2026-02-16", "2026-02-20", "2026-02-23",  # Spring Festival 2026 (9 days)
    "2026-09-25", "2026-10-01", "2026-10-05", "2026-10-07",  # Mid-Autumn, National Day 2026
]  # fmt: skip
MAKE_UP_WORKING_DAYS = ["2025-01-26", "2025-02-08", "2025-09-28", "2025-10-11", "2026-02-14", "2026-02-28",
                        "2026-09-20", "2026-10-10"]  # fmt: skip
ORDINARY = {"2025-02-05": True, "2025-02-09": False, "2026-02-24": True, "2026-03-01": False, "2026-10-08": True}


@pytest.mark.parametrize("day", HOLIDAYS)
def test_holidays_are_not_working_days(day: str) -> None:
    assert not is_working_day(d(day))


@pytest.mark.parametrize("day", MAKE_UP_WORKING_DAYS)
def test_make_up_weekend_days_are_working_days(day: str) -> None:
    assert d(day).weekday() >= 5
    assert is_working_day(d(day))


@pytest.mark.parametrize(("day", "working"), ORDINARY.items())
def test_ordinary_days(day: str, working: bool) -> None:
    assert is_working_day(d(day)) is working


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        ("2026-02-13", 1, "2026-02-14"),  # Friday → the make-up Saturday
        ("2026-02-14", 1, "2026-02-24"),  # over the nine-day holiday
        ("2026-02-10", 15, "2026-03-09"),
        ("2025-01-20", 30, "2025-03-07"),  # across the 2025 Spring Festival
        ("2025-09-26", 15, "2025-10-23"),  # across the 2025 National Day
        ("2026-09-24", 6, "2026-10-10"),  # Mid-Autumn and National Day 2026, ending on a make-up Saturday
        ("2026-02-15", 0, "2026-02-15"),
    ],
)
def test_add_working_days(start: str, n: int, due: str) -> None:
    assert add_working_days(d(start), n) == d(due)
    assert working_days_between(d(start), d(due)) == n


def test_working_days_between_counts_the_half_open_interval() -> None:
    assert working_days_between(d("2026-02-13"), d("2026-02-23")) == 1  # only the make-up Saturday
    assert working_days_between(d("2026-02-23"), d("2026-02-13")) == -1
    assert working_days_between(d("2026-02-16"), d("2026-02-16")) == 0


def test_negative_counts_are_refused() -> None:
    with pytest.raises(InputError, match=exact("cannot add -1 working days: the count must be 0 or more")):
        add_working_days(d("2026-02-13"), -1)


def test_outside_the_calendar_weekdays_are_working_days() -> None:
    assert calendar_covers(2024) and calendar_covers(2026)  # the shipped years (events/calendars)
    assert not calendar_covers(2023) and not calendar_covers(2027)
    assert is_working_day(d("2027-02-08"))  # a Monday; the platform ships no 2027 holidays
    assert not is_working_day(d("2027-02-06"))  # a Saturday
    assert add_working_days(d("2026-12-31"), 2) == d("2027-01-04")  # 2027-01-01 counts as a Friday


@pytest.mark.parametrize(
    ("event", "role", "rule"),
    [
        ("installed", Role.AUTOMAKER, "installation-15wd"),
        ("installed", Role.SERVICE, "repair-replacement-30wd"),
        ("removed", Role.SWAP_OPERATOR, "repair-replacement-30wd"),
        ("swapped", Role.SWAP_OPERATOR, "repair-replacement-30wd"),
        ("serviced", Role.LESSOR, "repair-replacement-30wd"),
        ("received", Role.COLLECTOR, "collection-intake-30wd"),
        ("shipped", Role.COLLECTOR, "collection-handover-30wd"),
        ("removed", Role.VEHICLE_DISMANTLER, "dismantler-removal-15wd"),
        ("shipped", Role.VEHICLE_DISMANTLER, "dismantler-handover-15wd"),
        ("shipped", Role.SECOND_LIFE, "second-life-shipping-15wd"),
        ("received", Role.RECYCLER, "recycler-intake-30wd"),
        ("recycled", Role.RECYCLER, "recycler-completion-30wd"),
        ("shipped", Role.MANUFACTURER, None),
        ("produced", Role.MANUFACTURER, None),
        ("received", Role.AUTOMAKER, None),
        ("incident", Role.REGULATOR, None),
    ],
)
def test_applicable_rule(event: str, role: Role, rule: str | None) -> None:
    org = Org("some-org", "Some", frozenset({role}))
    found = applicable_rule(event, org)
    assert (found.id if found else None) == rule


def test_the_first_rule_wins_for_an_org_with_several_roles() -> None:
    both = Org("auto-service", "A", frozenset({Role.AUTOMAKER, Role.SERVICE}))
    rule = applicable_rule("installed", both)
    assert rule is not None and rule.id == "installation-15wd"


def test_the_default_ruleset() -> None:
    assert DEFAULT_RULESET is RULESETS["2018-interim"]
    assert DEFAULT_RULESET.unaccounted_days == 30
    assert len({rule.id for rule in DEFAULT_RULESET.rules}) == len(DEFAULT_RULESET.rules) == 9
    assert {rule.id: rule.working_days for rule in DEFAULT_RULESET.rules}["dismantler-handover-15wd"] == 15


def test_installation_reported_on_the_15th_working_day_is_on_time() -> None:
    automaker = ORGS["geely"]
    occurred = china("2026-02-10T10:00:00")
    assert lateness("installed", automaker, occurred, china("2026-03-09T23:59:59")) is None
    assert lateness("installed", automaker, occurred, china("2026-03-10T00:00:00")) == Late(
        rule="installation-15wd",
        rule_text="vehicle certificate / installation: within 15 working days",
        due=d("2026-03-09"),
        working_days_late=1,
    )


def test_dates_are_counted_in_china_time() -> None:
    automaker = ORGS["geely"]
    # 17:00 UTC on 9 February is already 10 February in China: the clock starts a day later
    occurred = datetime(2026, 2, 9, 17, 0, tzinfo=UTC)
    late = lateness("installed", automaker, occurred, datetime(2026, 3, 9, 16, 0, tzinfo=UTC))
    assert late is not None and (late.due, late.working_days_late) == (d("2026-03-09"), 1)


def test_recording_on_a_weekend_after_the_due_date() -> None:
    dismantler = ORGS["fj-dismantler"]
    occurred = china("2025-09-26T09:00:00")  # due 2025-10-23 (Thursday), across National Day
    assert lateness("shipped", dismantler, occurred, china("2025-10-23T18:00:00")) is None
    late = lateness("shipped", dismantler, occurred, china("2025-10-25T10:00:00"))  # Saturday
    assert late == Late("dismantler-handover-15wd", "vehicle dismantler hand-over: within 15 working days",
                        d("2025-10-23"), 1)  # fmt: skip


def test_late_recycler_report_across_the_spring_festival() -> None:
    late = lateness("recycled", ORGS["brunp"], china("2025-01-20T09:00:00"), china("2025-03-12T09:00:00"))
    assert late == Late("recycler-completion-30wd", "recycler completion: within 30 working days", d("2025-03-07"), 3)


def test_no_rule_means_never_late() -> None:
    assert lateness("produced", ORGS["catl"], china("2020-01-01T00:00:00"), china("2026-01-01T00:00:00")) is None


def test_a_new_rule_version_is_data() -> None:
    stricter = replace(
        DEFAULT_RULESET,
        version="2026-national",
        rules=tuple(replace(rule, working_days=10) for rule in DEFAULT_RULESET.rules),
        unaccounted_days=20,
    )
    occurred = china("2026-02-10T10:00:00")
    late = lateness("installed", ORGS["geely"], occurred, china("2026-03-09T10:00:00"), stricter)
    assert late is not None and (late.due, late.working_days_late) == (d("2026-03-02"), 5)
