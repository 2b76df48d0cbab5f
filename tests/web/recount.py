"""An independent recount of the regulator's reports from the raw log (GET /v1/log/entries), written from
DESIGN §2.4-2.5 and the domain (events/), never from ledger/usecases/reports/ or its tables.

Each pack's entries are folded here into what the reports show: status (the lifecycle table), custodian,
vehicle, shipment, retirement and collection; each entry's lateness is judged with the rule set.

流向不明 is recounted from docs/lifecycle.md ("流向不明"), with the 2018 rule values written out here rather
than read from events.whereabouts; each organisation's 规范条件 status is read from the log's registry
entries (`org_registered`, then each `org_changed` whitelist decision from its effective day, China time).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from events.codes import parse_code
from events.deadlines import DEFAULT_RULESET, add_working_days, applicable_rule, lateness
from events.lifecycle import next_status
from events.orgs import Org, Role
from events.recovery import RECOVERY_THRESHOLDS
from events.timestamps import china_date, from_rfc3339

COLLECTORS = {Role.COLLECTOR, Role.SECOND_LIFE, Role.RECYCLER}
LIMIT = timedelta(days=DEFAULT_RULESET.unaccounted_days)
# 流向不明, the 2018 rules (docs/lifecycle.md): who may hold a retired pack, and the limits
KEEPERS = {Role.COLLECTOR, Role.SECOND_LIFE, Role.RECYCLER, Role.VEHICLE_DISMANTLER}
MUST_BE_LISTED = {Role.RECYCLER}
# the 流向不明 reasons whose duty falls on an owner by transfer (docs/ownership.md), not the custodian
OWNER_ANSWERS = {"retired-not-collected", "held-by-unauthorised"}
SCRAPPED_WORKING_DAYS = 15
IDLE_IN_STOCK = timedelta(days=365)
IDLE_AT_COLLECTOR = timedelta(days=90)
DISPLACED_WORKING_DAYS = 30
THRESHOLDS = RECOVERY_THRESHOLDS["2024"]
ROUNDING = 1e-9


def fetch_log(client: httpx.Client, token: str) -> list[dict[str, Any]]:
    """Every entry, paging through GET /v1/log/entries as the regulator."""
    entries: list[dict[str, Any]] = []
    while True:
        page = client.get(
            "/v1/log/entries", params={"start": len(entries)}, headers={"Authorization": f"Bearer {token}"}
        )
        assert page.status_code == 200, page.text
        body = page.json()
        entries += [item["entry"] for item in body["entries"]]
        if body["end"] >= body["tree_size"]:
            return entries


@dataclass
class PackFacts:
    code: str
    manufacturer: str
    chemistry: str
    status: str = "produced"
    custodian: str = ""
    vin: str | None = None
    site: str | None = None
    sender: str | None = None
    receiver: str | None = None
    retired_at: str | None = None
    collected: bool = False
    since: str = ""
    retired_reason: str | None = None
    retired_by: str | None = None
    taken: tuple[str, str] | None = None  # (holder, at) of the latest received/found after retirement
    owner: str = ""  # the producer from genesis, then whoever an `ownership_transferred` names (车电分离)
    owned_by_transfer: bool = False  # an `ownership_transferred` named the owner

    @property
    def maker_code(self) -> str:
        return self.code[:3]

    @property
    def spec(self) -> str:
        return self.code[5:7]

    @property
    def production_date(self) -> date | None:
        return parse_code(self.code, strict=False).production_date


@dataclass
class Recount:
    orgs: dict[str, Org]
    entries: list[dict[str, Any]]
    packs: dict[str, PackFacts] = field(default_factory=dict)
    late: list[dict[str, Any]] = field(default_factory=list)
    posted: Counter[str] = field(default_factory=Counter)
    timed: Counter[str] = field(default_factory=Counter)
    late_by: Counter[tuple[str, str]] = field(default_factory=Counter)
    per_day: Counter[date] = field(default_factory=Counter)
    late_per_day: Counter[date] = field(default_factory=Counter)
    recycled: list[tuple[str, dict[str, float], dict[str, float]]] = field(default_factory=list)
    listings: dict[str, list[tuple[date, bool]]] = field(default_factory=dict)  # org -> 规范条件 decisions

    def __post_init__(self) -> None:
        for entry in self.entries:
            if "subject" in entry and entry["subject"].startswith("org:"):
                self._listing(entry["subject"].removeprefix("org:"), entry["claim"])
        for entry in self.events:
            self._count(entry)
            if not entry["pack"].startswith("lot:"):  # a recycler lot's own chain is no pack (docs/recycling-lots.md)
                self._fold(entry)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The pack entries: the log less its registry entries (those have a `subject`, not a `pack`; the
        reports count the organisations' events, not the registry's)."""
        return [entry for entry in self.entries if "pack" in entry]

    def _count(self, entry: dict[str, Any]) -> None:
        claim = entry["claim"]
        org = self.orgs[claim["actor"]]
        occurred, recorded = from_rfc3339(claim["at"]), from_rfc3339(entry["recorded_at"])
        self.posted[org.id] += 1
        self.per_day[china_date(occurred)] += 1
        if applicable_rule(claim["type"], org) is not None:
            self.timed[org.id] += 1
        late = lateness(claim["type"], org, occurred, recorded)
        if late is not None:
            self.late_by[(org.id, late.rule)] += 1
            self.late_per_day[china_date(occurred)] += 1
            self.late.append({
                "index": entry["index"], "org": org.id, "rule": late.rule, "type": claim["type"],
                "pack": entry["pack"], "occurred_at": claim["at"], "recorded_at": entry["recorded_at"],
                "due": late.due.isoformat(), "working_days_late": late.working_days_late,
            })  # fmt: skip
        if claim["type"] == "recycled":
            self.recycled.append((org.id, claim["data"]["content_kg"], claim["data"]["recovered_kg"]))

    def _listing(self, org: str, claim: dict[str, Any]) -> None:
        data = claim["data"]
        if claim["type"] == "org_registered":
            self.listings[org] = [(date.min, bool(data.get("whitelisted", False)))]
        elif claim["type"] == "org_changed" and "whitelist" in data:
            w = data["whitelist"]
            self.listings[org].append((date.fromisoformat(w["effective"]), w["listed"]))

    def listed_on(self, org: str, day: date) -> bool:
        listed = False
        for effective, decision in self.listings.get(org, ()):
            if effective <= day:
                listed = decision
        return listed

    def may_hold_retired(self, org: str, day: date) -> bool:
        keeps = self.orgs[org].roles & KEEPERS
        return bool(keeps) and (not keeps <= MUST_BE_LISTED or self.listed_on(org, day))

    def _fold(self, entry: dict[str, Any]) -> None:
        claim = entry["claim"]
        kind, actor, data, at = claim["type"], claim["actor"], claim["data"], claim["at"]
        if kind == "produced":
            self.packs[entry["pack"]] = PackFacts(
                entry["pack"], actor, data["chemistry"], custodian=actor, since=at, owner=actor
            )
            return
        if kind == "arrived":  # handed over by another platform (docs/federation.md): held by the receiver
            chemistry = data["produced"]["chemistry"]
            self.packs[entry["pack"]] = PackFacts(
                entry["pack"], actor, chemistry, status="in_stock", custodian=actor, since=at, owner=actor
            )
            return
        pack = self.packs[entry["pack"]]
        binding = "site" if kind == "installed" and "site" in data else "vin"
        direction = data.get("direction") if kind == "swapped" else None
        status = str(next_status(pack.status, kind, binding_kind=binding, retired=pack.retired_at is not None,
                                 swap_direction=direction))  # fmt: skip
        if status != pack.status:
            pack.status, pack.since = status, at
        if kind in ("received", "removed") or direction == "out":
            pack.custodian = actor
        if kind == "found":
            pack.custodian = data["custodian"]
        if kind == "ownership_transferred":
            pack.owner, pack.owned_by_transfer = data["to"], True
        if kind == "shipped":
            pack.sender, pack.receiver = actor, data["to"]
        if kind in ("received", "lost", "exported", "transferred"):
            pack.sender = pack.receiver = None
        if kind == "installed" or direction == "in":
            pack.vin, pack.site = data.get("vin"), data.get("site") if kind == "installed" else None
        if kind in ("removed", "retired", "lost", "exported", "transferred") or direction == "out":
            pack.vin = pack.site = None
        if kind == "retired":
            pack.retired_at, pack.retired_reason, pack.retired_by = at, data.get("reason"), actor
        if kind in ("received", "found") and pack.retired_at:
            pack.taken = (data["custodian"] if kind == "found" else actor, at)
        if kind == "received" and pack.retired_at and self.orgs[actor].roles & COLLECTORS:
            pack.collected = True

    # -- what the reports should say --------------------------------------------------------------------

    def unaccounted(self, now: datetime) -> list[dict[str, Any]]:
        found = []
        displaced = self.displaced()
        for pack in self.packs.values():
            why = self._why(pack, now, displaced.get(pack.code))
            if why is not None:
                reason, since, limit, unit = why
                found.append({"pack": pack.code, "status": pack.status, "reason": reason, "since": since,
                              "days": (now - from_rfc3339(since)).days, "limit_days": limit, "limit_unit": unit,
                              "custodian": pack.custodian, "receiver": pack.receiver,
                              "owner": pack.owner, "answerable": self.answerable(pack, reason)})  # fmt: skip
        return sorted(found, key=lambda p: (p["since"], p["pack"]))

    @staticmethod
    def answerable(pack: PackFacts, reason: str) -> str:
        """docs/ownership.md: a retired pack's collection (and not letting an unauthorised holder have it) is
        the duty of an owner by transfer; every other reason, and a producer that never sold the pack, leave it
        to the custodian."""
        if reason in OWNER_ANSWERS and pack.owned_by_transfer:
            return pack.owner
        return pack.custodian

    def displaced(self) -> dict[str, str]:
        """Packs still in a vehicle into which another pack went later: the later installation's time."""
        by_vin: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for pack in self.packs.values():
            if pack.status == "in_vehicle" and pack.vin:
                by_vin[pack.vin].append((pack.since, pack.code))  # `since`: when it was installed
        found = {}
        for bound in by_vin.values():
            bound.sort()
            for i in range(len(bound) - 1):
                found[bound[i][1]] = bound[i + 1][0]
        return found

    def _why(self, pack: PackFacts, now: datetime, displaced_at: str | None) -> tuple[str, str, int, str] | None:
        since = from_rfc3339(pack.since)
        holder = pack.taken[0] if pack.taken and pack.taken[0] == pack.custodian else None
        taken_at = pack.taken[1] if pack.taken else ""
        held = pack.status in ("retired", "dismantled", "recycled")
        if held and holder and not self.may_hold_retired(holder, china_date(from_rfc3339(taken_at))):
            return "held-by-unauthorised", taken_at, 0, "days"
        if pack.status == "retired":
            by_dismantler = pack.retired_by is not None and Role.VEHICLE_DISMANTLER in self.orgs[pack.retired_by].roles
            scrapped = pack.retired_reason == "vehicle_scrapped" or by_dismantler
            at_dismantler = holder is not None and Role.VEHICLE_DISMANTLER in self.orgs[holder].roles
            overdue = china_date(now) > add_working_days(china_date(since), SCRAPPED_WORKING_DAYS)
            if (at_dismantler or (holder is None and scrapped)) and overdue:
                return "scrapped-not-handed-on", pack.since, SCRAPPED_WORKING_DAYS, "working_days"
        uncollected = pack.retired_at and not pack.collected and pack.status in ("retired", "in_transit")
        if uncollected and now - from_rfc3339(pack.retired_at) > LIMIT:
            return "retired-not-collected", pack.retired_at, LIMIT.days, "days"
        if pack.status == "in_transit" and now - since > LIMIT:
            return "shipped-not-received", pack.since, LIMIT.days, "days"
        if pack.status == "in_stock" and now - since > IDLE_IN_STOCK:
            return "idle-in-stock", pack.since, IDLE_IN_STOCK.days, "days"
        at_collector = holder is not None and Role.COLLECTOR in self.orgs[holder].roles
        if pack.status == "retired" and at_collector and now - since > IDLE_AT_COLLECTOR:
            return "idle-at-collector", pack.since, IDLE_AT_COLLECTOR.days, "days"
        if pack.status == "in_vehicle" and displaced_at is not None:
            due = add_working_days(china_date(from_rfc3339(displaced_at)), DISPLACED_WORKING_DAYS)
            if china_date(now) > due:
                return "displaced-in-vehicle", displaced_at, DISPLACED_WORKING_DAYS, "working_days"
        return None

    def recall(self, *, maker: str | None = None, produced_from: date | None = None, produced_to: date | None = None,
               chemistry: str | None = None, spec: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
        rows = []
        for pack in sorted(self.packs.values(), key=lambda p: p.code):
            made = pack.production_date
            if maker is not None and maker not in (pack.maker_code, pack.manufacturer):
                continue
            if produced_from is not None and (made is None or made < produced_from):
                continue
            if produced_to is not None and (made is None or made > produced_to):
                continue
            if chemistry is not None and pack.chemistry != chemistry:
                continue
            if spec is not None and pack.spec != spec:
                continue
            rows.append({
                "code": pack.code, "status": pack.status, "custodian": pack.custodian, "vin": pack.vin,
                "site": pack.site, "receiver": pack.receiver if pack.status == "in_transit" else None,
                "production_date": made.isoformat() if made else None, "chemistry": pack.chemistry,
            })  # fmt: skip
        return rows

    def recovery(self) -> dict[tuple[str, str], dict[str, Any]]:
        sums: dict[tuple[str, str], dict[str, Any]] = defaultdict(
            lambda: {"events": 0, "content": 0.0, "recovered": 0.0, "events_below": 0}
        )
        for actor, content, recovered in self.recycled:
            for element, kg in content.items():
                got = recovered.get(element, 0.0)
                row = sums[(actor, element)]
                row["events"] += 1
                row["content"] += kg
                row["recovered"] += got
                threshold = THRESHOLDS.get(element)
                row["events_below"] += threshold is not None and got / kg * 100 < threshold - ROUNDING
        for (_, element), row in sums.items():
            row["rate"] = row["recovered"] / row["content"] * 100
            row["threshold"] = THRESHOLDS.get(element)
            row["below"] = row["threshold"] is not None and row["rate"] < row["threshold"] - ROUNDING
        return dict(sums)

    def recycled_below(self, actor: str) -> int:
        return sum(
            1
            for who, content, recovered in self.recycled
            if who == actor
            and any(
                element in THRESHOLDS and recovered.get(element, 0.0) / kg * 100 < THRESHOLDS[element] - ROUNDING
                for element, kg in content.items()
            )
        )

    def by_status(self) -> Counter[str]:
        return Counter(pack.status for pack in self.packs.values())

    def custody(self) -> Counter[str]:
        return Counter(pack.custodian for pack in self.packs.values())
