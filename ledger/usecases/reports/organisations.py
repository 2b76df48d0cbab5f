"""Per-organisation statistics: entries, timeliness, custody, 流向不明 and recycling, from the report tables
and the pack projection."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from pydantic import Field

from ledger.log import Ledger
from ledger.store import packrows, registry, reportrows
from ledger.usecases import places
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.report_index import DEFAULT_BASIS, Basis, refresh
from ledger.usecases.reports.compliance import late_pct, unaccounted_packs
from ledger.usecases.views import View


class OrgStats(View):
    org: str
    name: str
    roles: list[str]
    whitelisted: bool
    entries: int = Field(description="entries the organisation posted")
    timed: int = Field(description="of them, entries a reporting deadline applies to")
    late: int
    late_pct: float | None
    custody: int = Field(description="packs in its custody now")
    unaccounted: int = Field(description="packs in its custody that are 流向不明")
    owned_unaccounted: int = Field(
        description="packs it owns (所有权人, docs/ownership.md) that are 流向不明, whoever holds them"
    )
    recycled: int = Field(description="`recycled` entries it posted")
    recycled_below: int = Field(description="of them, entries with an element below its threshold")


class OrganisationsReport(View):
    ruleset: str
    thresholds_version: str
    as_of: datetime
    log_size: int
    orgs: list[OrgStats]
    region: str | None = Field(default=None, description="the region the report covers (docs/regions.md)")


def organisations(
    ledger: Ledger, caller: Caller, *, basis: Basis = DEFAULT_BASIS, region: str | None = None
) -> OrganisationsReport:
    """Per organisation: entries, timeliness, custody, 流向不明 and recycling (with a region, or for a
    region-scoped regulator: the organisations located in it)."""
    require_regulator(caller, "read the organisation statistics")
    size = refresh(ledger, basis)
    now = ledger.clock()
    with ledger.engine.connect() as conn:
        where = places.place(conn, caller, region)
        orgs = {org.id: org for org in registry.list_orgs(conn) if where is None or where.holds(org.id)}
        activity = {row.actor: row for row in reportrows.actor_counts(conn, basis.name)}
        custody = packrows.count_by_custodian(conn)
        recycled = reportrows.recycled_counts(conn, basis.name, size)
        lost: dict[str, int] = defaultdict(int)
        owned_lost: dict[str, int] = defaultdict(int)
        for pack in unaccounted_packs(conn, now, basis):
            lost[pack.custodian] += 1
            owned_lost[pack.owner] += 1
    stats = []
    for org_id, org in sorted(orgs.items()):
        row = activity.get(org_id)
        entries, timed, late = (row.entries, row.timed, row.late) if row is not None else (0, 0, 0)
        done = recycled.get(org_id)
        stats.append(
            OrgStats(
                org=org_id,
                name=org.name,
                roles=sorted(org.roles),
                whitelisted=org.whitelisted,
                entries=entries,
                timed=timed,
                late=late,
                late_pct=late_pct(late, timed),
                custody=custody.get(org_id, 0),
                unaccounted=lost.get(org_id, 0),
                owned_unaccounted=owned_lost.get(org_id, 0),
                recycled=done.entries if done is not None else 0,
                recycled_below=done.below if done is not None else 0,
            )
        )
    return OrganisationsReport(
        ruleset=basis.ruleset.version,
        thresholds_version=basis.recovery_version,
        as_of=now,
        log_size=size,
        orgs=stats,
        region=where.region if where is not None else None,
    )
