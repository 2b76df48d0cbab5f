"""The regulator workspace's use cases besides the reports: the overview, pack search, and a pack's
dossier (its history, custody, vehicles and a verification of its record). Regulators only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import Field

from events import regions
from events.codes import parse_code
from events.effects import CUSTODY_MOVES
from events.errors import InputError, NotFoundError, PacktraceError, VerificationError
from events.orgs import ORG_ID, Org
from events.timestamps import china_date
from events.vin import validate_vin
from ledger.format.bundle import verify_bundle, verify_window
from ledger.format.policy import Policy, check_checkpoint
from ledger.log import Ledger
from ledger.store import correctionrows, linkrows, packrows, registry, reportrows
from ledger.store.packrows import SearchBy
from ledger.usecases import calendar as calendars
from ledger.usecases import federation, packhistory, packreads, places
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.bundles import make_bundle, window_bundle
from ledger.usecases.federation import Fetch, Peer
from ledger.usecases.makers import maker_org
from ledger.usecases.report_index import DEFAULT_BASIS, refresh
from ledger.usecases.reports.compliance import OrgLateness, UnaccountedPack, compliance, late_pct
from ledger.usecases.reports.recall import MAKER_CODE
from ledger.usecases.reports.recovery import RecoveryRow, recovery
from ledger.usecases.views import BindingView, HistoryItem, OnwardPart, OriginPart, PackView, View

SEARCH_LIMIT = 50
DOSSIER_SHOWN = 200  # entries on one page of a pack's dossier (a chain has no length limit)
CUSTODY_SHOWN = 100  # the latest custody changes shown
OVERVIEW_DAYS = 30


# -- overview -------------------------------------------------------------------------------------------


class StatusCount(View):
    status: str
    count: int


class DayCount(View):
    day: date
    entries: int
    late: int


class CityFigures(View):
    """One city's figures on the overview: the organisations located in it and what they did."""

    region: str | None = Field(description="the city's GB/T 2260 code; null: organisations with no region")
    name_zh: str
    name_en: str
    orgs: int = Field(description="organisations located in it")
    custody: int = Field(description="packs its organisations hold now")
    entries: int = Field(description="entries its organisations posted")
    timed: int = Field(description="of them, entries a reporting deadline applies to")
    late: int
    late_pct: float | None
    unaccounted: int = Field(description="流向不明 packs its organisations hold (in transit: sent)")


class Overview(View):
    as_of: datetime
    log_size: int
    packs: int
    by_status: list[StatusCount]
    per_day: list[DayCount] = Field(description="entries by the day the events happened (China time)")
    late_total: int
    unaccounted_total: int
    timeliness: list[OrgLateness]
    recovery: list[RecoveryRow]
    calendar_missing: list[int] = Field(
        description="this year and next (China time) when the working-day calendar has no data for them "
        "(docs/calendar.md)"
    )
    region: str | None = Field(default=None, description="the region the figures cover (docs/regions.md)")
    jurisdiction: str | None = Field(default=None, description="the caller's jurisdiction, if it is scoped")
    cities: list[CityFigures] = Field(default=[], description="per city (prefecture level), within `region`")
    regions: list[places.RegionChoice] = Field(
        default=[], description="the regions the caller may pick: its jurisdiction's and its cities and districts"
    )


def overview(ledger: Ledger, caller: Caller, *, days: int = OVERVIEW_DAYS, region: str | None = None) -> Overview:
    """Packs by status, events per day, timeliness per organisation, recovery rates and per-city figures, of
    the whole platform or of a region (a region-scoped regulator: its region)."""
    require_regulator(caller, "open the regulator's overview")
    lateness = compliance(ledger, caller, limit=1, region=region)
    recovered = recovery(ledger, caller, region=region)
    last = china_date(lateness.as_of)
    first = last - timedelta(days=days - 1)
    with ledger.engine.connect() as conn:
        where = places.place(conn, caller, region)
        by_status = packrows.count_by_status(conn, where.area if where is not None else None)
        actors = sorted(where.orgs) if where is not None else None
        daily = reportrows.day_counts(conn, DEFAULT_BASIS.name, first, last, actors=actors)
        orgs = registry.list_orgs(conn)
        activity = reportrows.actor_counts(conn, DEFAULT_BASIS.name)
        custody = packrows.count_by_custodian(conn)
    per_day = []
    for n in range(days):
        day = first + timedelta(days=n)
        row = daily.get(day)
        per_day.append(DayCount(day=day, entries=row.entries if row else 0, late=row.late if row else 0))
    return Overview(
        as_of=lateness.as_of,
        log_size=lateness.log_size,
        packs=sum(by_status.values()),
        by_status=[StatusCount(status=status, count=count) for status, count in by_status.items()],
        per_day=per_day,
        late_total=lateness.late_total,
        unaccounted_total=len(lateness.unaccounted),
        timeliness=lateness.by_org,
        recovery=recovered.totals,
        calendar_missing=calendars.missing_years(ledger, last),
        region=where.region if where is not None else None,
        jurisdiction=caller.jurisdiction,
        cities=_cities(orgs, where, activity, custody, lateness.unaccounted),
        regions=places.choices(caller.jurisdiction, orgs),
    )


def _cities(
    orgs: list[Org],
    where: places.Place | None,
    activity: list[reportrows.ActorCounts],
    custody: dict[str, int],
    unaccounted: list[UnaccountedPack],
) -> list[CityFigures]:
    """Per city: sums over the organisations located in it (those with no region on a row of their own);
    within `where` only. A 流向不明 pack counts for its custodian's city (a pack shipped and never received:
    its sender's, which stays responsible for it), whatever the view. A county's view has one row: the
    county."""
    county = where is not None and regions.level(where.region) == "county"
    city = {o.id: (o.region if county else regions.city_of(o.region)) if o.region else None for o in orgs}
    counts = {row.actor: row for row in activity}
    sums: dict[str | None, list[int]] = {}
    for org in orgs:
        if where is not None and not where.holds(org.id):
            continue
        row = counts.get(org.id)
        total = sums.setdefault(city[org.id], [0, 0, 0, 0, 0, 0])
        total[0] += 1
        total[1] += custody.get(org.id, 0)
        if row is not None:
            total[2] += row.entries
            total[3] += row.timed
            total[4] += row.late
    for pack in unaccounted:
        holder = pack.custodian
        if holder in city and city[holder] in sums and (where is None or where.holds(holder)):
            sums[city[holder]][5] += 1
    figures = [
        CityFigures(
            region=code,
            name_zh=regions.name(code) if code is not None else "未登记地区",
            name_en=regions.name(code, "en") if code is not None else "no region registered",
            orgs=n[0],
            custody=n[1],
            entries=n[2],
            timed=n[3],
            late=n[4],
            late_pct=late_pct(n[4], n[3]),
            unaccounted=n[5],
        )
        for code, n in sums.items()
    ]
    return sorted(figures, key=lambda f: (f.region is None, f.region or ""))


# -- search ---------------------------------------------------------------------------------------------


class PackSummary(View):
    code: str
    status: str
    custodian: str
    chemistry: str
    production_date: date | None
    vin: str | None


class SearchResult(View):
    query: str
    kind: str = Field(description="how the query was read: code, vin, maker_code, custodian, maker or prefix")
    packs: list[PackSummary]
    more: bool = Field(description=f"more than {SEARCH_LIMIT} packs matched")


_PREFIX = re.compile(r"[A-Z0-9]{1,24}")


def search_packs(ledger: Ledger, caller: Caller, query: str) -> SearchResult:
    """Packs by full code, VIN (installed now), maker code, custodian org id, a maker's name (events.makers),
    or code prefix."""
    require_regulator(caller, "search packs")
    text = query.strip()
    upper = text.upper()
    try:
        kind, value = _search_key(text, upper, ledger)
        refusal = None
    except InputError as exc:
        kind, value, refusal = "prefix", "", exc
    with ledger.engine.connect() as conn:
        where = places.place(conn, caller, None)
        scope = where.area if where is not None else None
        # a maker code, or what is no code, VIN or organisation id, may name a maker: then all of its packs
        maker = _maker_named(conn, text) if kind in ("maker_code", "prefix") else None
        if maker is not None:
            codes = sorted(maker.manufacturer_codes)
            rows = packrows.maker_pack_summaries(conn, maker.id, codes, limit=SEARCH_LIMIT + 1, touched_by=scope)
        elif refusal is not None:
            raise refusal
        else:
            rows = packrows.search_packs(conn, kind, value, limit=SEARCH_LIMIT + 1, touched_by=scope)
    packs = [PackSummary(**row._asdict()) for row in rows[:SEARCH_LIMIT]]
    return SearchResult(
        query=text, kind="maker" if maker is not None else kind, packs=packs, more=len(rows) > SEARCH_LIMIT
    )


def _maker_named(conn: packrows.Connection, text: str) -> Org | None:
    """The maker `text` names (events.makers), if one does."""
    try:
        return maker_org(conn, text, field="q")
    except InputError:
        return None


def _search_key(text: str, upper: str, ledger: Ledger) -> tuple[SearchBy, str]:
    """How to read the query, and the value to look for."""
    if not text:
        raise InputError(
            "type a battery code, a VIN, a maker code, an organisation id or a maker's name", code="invalid_filter"
        )
    if len(upper) in (19, 24) and upper.isalnum():
        return "code", parse_code(upper, strict=False).code
    if len(upper) == 17:
        try:
            return "vin", validate_vin(upper)
        except InputError:
            pass
    if len(upper) == 3 and MAKER_CODE.fullmatch(upper):
        return "maker_code", upper
    if ORG_ID.fullmatch(text):
        with ledger.engine.connect() as conn:
            if registry.get_org(conn, text) is not None:
                return "custodian", text
    if not _PREFIX.fullmatch(upper):
        raise InputError(
            f"{text!r} is not a code, VIN, maker code, organisation id or maker's name", code="invalid_filter"
        )
    return "prefix", upper


# -- a pack's dossier -----------------------------------------------------------------------------------


class Verification(View):
    verified: bool
    entries: int = Field(description="entries verified: those the page shows")
    first_seq: int = Field(default=0, description="seq of the first entry verified")
    total: int = Field(default=0, description="entries in the pack's chain")
    tree_size: int | None = Field(description="the checkpoint the record was verified against")
    root: str | None = Field(description="that checkpoint's root hash, hex")
    checkpoint: str | None
    log_key: str
    error: str | None
    policy: bool = Field(default=False, description="the checkpoint was checked against a trust policy")
    quorum: str | None = Field(default=None, description="the policy's quorum, in words")
    cosigned: list[str] = Field(default=[], description="the policy's witnesses whose cosignatures counted")
    complete_through: int | None = Field(
        default=None, description="the chain's last entry (seq) by the log's head commitment; None: not checked"
    )
    commitment: int | None = Field(default=None, description="that head commitment's entry index")


class CustodySpan(View):
    org: str
    name: str | None
    since: str = Field(description="`at` of the entry that gave it custody")
    until: str | None
    via: str = Field(description="the event type that gave it custody")
    index: int


class HeldComponent(View):
    code: str = Field(description="a module or cell the pack (or module) holds now (docs/modules.md)")
    kind: str = Field(description="module or cell")
    since: str = Field(description="`at` of the entry that put it in")


class PackDossier(View):
    pack: PackView
    history: list[HistoryItem] = Field(description=f"at most {DOSSIER_SHOWN} entries, the latest first shown")
    total: int = Field(description="entries in the pack's chain")
    older: int | None = Field(description="`before` of the page of older entries (None: this page starts at seq 0)")
    newer: int | None = Field(description="`before` of the page of newer entries (None: this page ends the chain)")
    late: dict[int, int] = Field(description="log index of a late entry -> working days late")
    custody: list[CustodySpan]
    bindings: list[BindingView]
    verification: Verification
    held: list[HeldComponent] = Field(default_factory=list, description="the modules and cells it holds now")
    origin: OriginPart | None = Field(
        default=None, description="a pack handed over by another platform: its life there (docs/federation.md)"
    )
    onward: OnwardPart | None = Field(
        default=None, description="a pack handed over to another platform: its life there (docs/federation.md)"
    )


def _before(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise InputError(f"before: {text[:40]!r} is not an entry's seq (a whole number)", code="invalid_filter")
    return max(1, int(text))  # a page holds at least the entry before it


def pack_dossier(
    ledger: Ledger,
    caller: Caller,
    code: str,
    *,
    before: str | None = None,
    policy: Policy | None = None,
    peers: Sequence[Peer] = (),
    fetch: Fetch | None = None,
    now: int = 0,
) -> PackDossier:
    """Everything about one pack, with its record verified as an outsider would: bundle, log key (and the
    trust policy, when one is configured). A page shows the latest DOSSIER_SHOWN entries before `seq`
    `before` (default: the chain's end), however long the chain, and verifies those."""
    require_regulator(caller, "open a pack's dossier")
    if caller.jurisdiction is not None:
        with ledger.engine.connect() as conn:
            places.require_pack_in_jurisdiction(conn, caller, packreads.checked_code(code), "open its dossier")
    view = packreads.get_pack_view(ledger, caller, code)
    page = packhistory.latest_pack_history(ledger, caller, view.code, limit=DOSSIER_SHOWN, before=_before(before))
    history = page.events
    first = history[0].seq if history else 0
    last = history[-1].seq if history else -1
    refresh(ledger)
    with ledger.engine.connect() as conn:
        late = reportrows.late_days_of_pack(
            conn,
            DEFAULT_BASIS.name,
            view.code,
            history[0].index if history else 0,
            history[-1].index if history else -1,
        )
        moves = packrows.latest_entries_of_types(conn, view.code, sorted(CUSTODY_MOVES), CUSTODY_SHOWN + 1)
        names = {org.id: org.name for org in registry.list_orgs(conn)}
        held = [HeldComponent(code=r.child, kind=r.kind, since=r.start_at) for r in linkrows.held_by(conn, view.code)]
    custody = _custody(moves, names)
    bindings = view.bindings or []
    return PackDossier(
        pack=view,
        history=history,
        total=page.total,
        older=first if first > 0 else None,
        newer=min(last + 1 + DOSSIER_SHOWN, page.total) if last + 1 < page.total else None,
        late=late,
        custody=custody,
        bindings=bindings[-DOSSIER_SHOWN:],
        verification=verify_pack_record(ledger, view.code, first, last, page.total, policy=policy),
        held=held,
        origin=federation.origin_part(ledger, view.code, peers),
        onward=federation.onward_part(ledger, view.code, peers, fetch, now) if fetch is not None else None,
    )


class EntryPlace(View):
    """Where an entry of a pack's chain is shown: the pack, its seq, and the page of the dossier holding it."""

    pack: str
    seq: int
    index: int
    before: int | None = Field(description="the dossier page's `before` (None: the chain's latest page)")


def entry_place(ledger: Ledger, caller: Caller, index: int) -> EntryPlace:
    """The pack and seq of the entry at `index` (a correction a report names), for a link to the dossier."""
    require_regulator(caller, "open a pack's dossier")
    with ledger.engine.connect() as conn:
        found = correctionrows.entry_place(conn, index)
        jurisdiction = caller.jurisdiction
        if (
            found is not None
            and jurisdiction is not None
            and not places.touches(conn, places.place(conn, caller, None), found[0])
        ):
            raise regions.OutOfJurisdiction(  # not naming the pack: which pack an index is of is the dossier's
                f"the entry at index {index} is of a pack that never touched your jurisdiction, {jurisdiction} "
                f"({regions.name(jurisdiction, 'en')})"
            )
    if found is None:
        raise NotFoundError(f"no pack entry at index {index}", code="unknown_entry")
    pack, seq, last_seq = found
    # the page ending with it, unless the latest page (the last DOSSIER_SHOWN entries) shows it
    before = None if seq > last_seq - DOSSIER_SHOWN else seq + 1
    return EntryPlace(pack=pack, seq=seq, index=index, before=before)


def verify_pack_record(
    ledger: Ledger,
    code: str,
    first_seq: int = 0,
    last_seq: int | None = None,
    total: int | None = None,
    *,
    policy: Policy | None = None,
) -> Verification:
    """Build the offline bundle of the pack's entries `first_seq`…`last_seq` (default: all) against the
    latest checkpoint and verify it as `packtrace verify-bundle` would: with the log's verifier key, or
    with a trust policy (its checkpoint signed by a log key of the policy and cosigned by its quorum, the
    bundle then checked with that key; docs/ledger-format.md §9)."""
    log_key = ledger.signer.verifier_key
    quorum = policy.describe() if policy is not None else None
    cosigned: list[str] = []
    whole = first_seq == 0 and (last_seq is None or (total is not None and last_seq == total - 1))
    try:
        if whole:  # the whole chain: its bundle, which also proves the chain complete by the head commitment
            bundle = make_bundle(ledger, code)
        else:
            bundle = window_bundle(ledger, code, first_seq, last_seq if last_seq is not None else first_seq)
        if policy is not None:
            accepted = check_checkpoint(bundle["checkpoint"], policy, now=int(ledger.clock().timestamp()))
            log_key, cosigned = accepted.log_key.text, list(accepted.cosigned)
        summary = verify_bundle(bundle, log_key) if whole else verify_window(bundle, log_key)
    except PacktraceError as exc:
        # A proof the stored tree cannot give (not a VerificationError) means the record is damaged, too.
        error = exc.message if isinstance(exc, VerificationError) else f"{type(exc).__name__}: {exc.message}"
        return Verification(
            verified=False,
            entries=0,
            tree_size=None,
            root=None,
            checkpoint=None,
            log_key=log_key,
            error=error,
            policy=policy is not None,
            quorum=quorum,
        )
    return Verification(
        verified=True,
        entries=summary.entries,
        first_seq=first_seq,
        total=summary.entries if total is None else total,
        tree_size=summary.tree_size,
        root=summary.root.hex(),
        checkpoint=bundle["checkpoint"],
        log_key=log_key,
        error=None,
        policy=policy is not None,
        quorum=quorum,
        cosigned=cosigned,
        complete_through=summary.complete_through,
        commitment=summary.commitment,
    )


def _custody(entries: list[dict[str, Any]], names: dict[str, str]) -> list[CustodySpan]:
    """Who held the pack from when, from its latest entries that moved custody (oldest first)."""
    spans: list[CustodySpan] = []
    for entry in entries:
        claim = entry["claim"]
        field = CUSTODY_MOVES[claim["type"]]
        holder = str(claim["data"][field]) if field is not None else claim["actor"]
        if spans and spans[-1].org == holder:
            continue
        if spans:
            spans[-1] = spans[-1].model_copy(update={"until": claim["at"]})
        spans.append(
            CustodySpan(org=holder, name=None, since=claim["at"], until=None, via=claim["type"], index=entry["index"])
        )
    return [span.model_copy(update={"name": names.get(span.org)}) for span in spans[-CUSTODY_SHOWN:]]
