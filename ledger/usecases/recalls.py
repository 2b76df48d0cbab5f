"""Recall campaigns (events.recalls): create one from the `recalled` claims its creator signed, and follow
its progress.

Creating a campaign is two calls. `campaign_scope` resolves the scope to the packs a `recalled` entry
can reach and says the exact payload each claim must carry; the caller signs one claim per pack with its
own key (the CLI `packtrace recall create` does both) and `create_campaign` checks that the claims are
exactly those, records the campaign's definition and appends the claims atomically. The platform signs
nothing: each `recalled` entry is the caller's claim. The definition is reserved first (its id is the
primary key: a second campaign of the same id is a 409) and released if the append fails, so a campaign
exists only with its entries; a crash between the two leaves a definition whose packs read as not
recalled (`recalled_at` empty), never entries without a definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import Field

from events import regions
from events.errors import AuthorisationError, ConflictError, InputError, NotFoundError
from events.orgs import Org, Role
from events.recalls import (
    MAX_CODES,
    RECALLABLE,
    REMEDY_BY_CAMPAIGN,
    REMEDY_EVENTS,
    PackEvent,
    Scope,
    check_campaign_id,
    overdue,
    recalled_data,
    remedy,
)
from events.regions import OutOfJurisdiction
from events.timestamps import china_date
from ledger.log import Ledger
from ledger.store import packrows, recallrows, registry
from ledger.store.db import Connection, write_connection
from ledger.store.packrows import BatchFilter
from ledger.store.recallrows import CampaignRow, ScopePack
from ledger.usecases import places
from ledger.usecases.access import Caller, require_org, require_regulator
from ledger.usecases.makers import maker_org
from ledger.usecases.places import Place
from ledger.usecases.views import BatchResult, EventResult, View


@dataclass(frozen=True)
class CampaignDraft:
    id: str
    reason: str
    scope: Scope
    due: date | None = None


class CampaignScope(View):
    campaign: str
    data: dict[str, str] = Field(description="the payload every `recalled` claim of the campaign must carry")
    codes: list[str] = Field(description="the packs to recall: one signed `recalled` claim each")
    excluded: dict[str, int] = Field(description="packs in scope left out, by status (out of use already)")


class CampaignCreated(View):
    campaign: str
    packs: int
    excluded: dict[str, int]
    results: list[EventResult]


class CampaignPack(View):
    code: str
    status: str
    custodian: str
    custodian_name: str | None
    recalled_at: str | None = Field(description="the `at` of its `recalled` entry; empty if not in the log")
    remedied: bool
    remedy: str | None = Field(description="the entry type that remedied it: serviced, retired, …")
    remedied_at: str | None
    overdue: bool


class CampaignSummary(View):
    id: str
    reason: str
    scope: dict[str, Any]
    due: date | None
    created_by: str
    created_at: str
    packs: int
    remedied: int
    overdue: int
    completion: float = Field(description="remedied / packs, 0 to 1 (0 for a campaign of no packs)")


class CampaignReport(CampaignSummary):
    excluded: dict[str, int]
    by_status: dict[str, int]
    overdue_packs: list[str]
    scope_packs: list[CampaignPack] = Field(description="every pack in scope, in code order")
    region: str | None = Field(
        default=None, description="a region-scoped regulator sees the packs that touch its region (docs/regions.md)"
    )


class CampaignList(View):
    campaigns: list[CampaignSummary]


# -- creating -------------------------------------------------------------------------------------------


def _creator(caller: Caller) -> Org:
    org = require_org(caller, "create a recall campaign")
    if not (org.has(Role.REGULATOR) or org.has(Role.MANUFACTURER)):
        raise AuthorisationError(
            f"only a regulator or a manufacturer may create a recall campaign; you are {caller.describe()}"
        )
    if caller.jurisdiction is not None and regions.level(caller.jurisdiction) != "province":
        raise OutOfJurisdiction(
            "a recall campaign covers every pack in its scope wherever it is, so it is opened by the province's "
            f"regulator or the maker; your jurisdiction is {caller.jurisdiction} "
            f"({regions.name(caller.jurisdiction, 'en')})"
        )
    return org


def _matches(pack: ScopePack, scope: Scope, maker: Org | None) -> bool:
    if maker is not None and pack.manufacturer != maker.id and pack.maker_code not in maker.manufacturer_codes:
        return False
    if scope.spec is not None and pack.code[5:7] != scope.spec:
        return False
    if scope.chemistry is not None and pack.chemistry != scope.chemistry:
        return False
    day = pack.production_date
    if scope.produced_from is not None and (day is None or day < scope.produced_from):
        return False
    return scope.produced_to is None or (day is not None and day <= scope.produced_to)


def _resolve(conn: Connection, scope: Scope) -> list[ScopePack]:
    """The packs in scope, in code order (any status)."""
    # the maker as the registry names it: its id, a code or its name (ledger.usecases.makers), else 422
    maker = None if scope.maker is None else maker_org(conn, scope.maker, field="maker")
    if scope.codes is not None:
        packs = recallrows.packs_by_code(conn, scope.codes)
        missing = sorted(set(scope.codes) - {p.code for p in packs})
        if missing:
            listed = ", ".join(missing[:10]) + (", …" if len(missing) > 10 else "")
            raise InputError(f"codes: {len(missing)} pack(s) not in the log: {listed}", code="unknown_pack")
        packs = [p for p in packs if _matches(p, scope, maker)]
    elif any(v is not None for v in (scope.maker, scope.spec, scope.chemistry, scope.produced_from, scope.produced_to)):
        where = BatchFilter(
            maker_codes=() if maker is None else tuple(sorted(maker.manufacturer_codes)),
            producer=None if maker is None else maker.id,
            produced_from=scope.produced_from,
            produced_to=scope.produced_to,
            chemistry=scope.chemistry,
            spec=scope.spec,
        )
        rows = packrows.batch_packs(conn, where, placed=(), limit=10 * MAX_CODES + 1)
        packs = [ScopePack(r.code, r.status, r.custodian, r.manufacturer, r.maker_code, r.chemistry,
                           r.production_date) for r in rows]  # fmt: skip
    else:
        assert scope.batch is not None  # Scope.checked: at least one field
        packs = recallrows.packs_by_code(conn, recallrows.produced_in_batch(conn, scope.batch))
    if scope.batch is not None:
        batches = recallrows.batch_of(conn, [p.code for p in packs])
        packs = [p for p in packs if batches.get(p.code) == scope.batch]
    return packs


def _plan(conn: Connection, org: Org, draft: CampaignDraft) -> tuple[list[ScopePack], dict[str, int]]:
    """The packs the campaign recalls and the ones it leaves out (by status), after every check."""
    check_campaign_id(draft.id)
    if not draft.reason.strip():
        raise InputError("a campaign needs a reason", code="invalid_campaign")
    scope = draft.scope.checked()
    if recallrows.campaign(conn, draft.id) is not None:
        raise ConflictError(f"a recall campaign {draft.id!r} exists already", code="campaign_exists")
    in_scope = _resolve(conn, scope)
    packs = [p for p in in_scope if p.status in RECALLABLE]
    excluded: dict[str, int] = {}
    for pack in in_scope:
        if pack.status not in RECALLABLE:
            excluded[pack.status] = excluded.get(pack.status, 0) + 1
    if not packs:
        left = f" ({sum(excluded.values())} in scope are out of use already)" if excluded else ""
        raise InputError(f"the scope matches no pack that can be recalled{left}", code="empty_scope")
    if len(packs) > MAX_CODES:
        raise InputError(
            f"the scope matches {len(packs):,} packs; a campaign recalls at most {MAX_CODES:,}: narrow the scope",
            code="scope_too_large",
        )
    if not org.has(Role.REGULATOR):
        others = sorted({p.manufacturer for p in packs if p.manufacturer != org.id})
        if others:
            foreign = sum(1 for p in packs if p.manufacturer != org.id)
            raise AuthorisationError(
                f"{org.describe()} may recall only its own packs: {foreign} of the {len(packs)} packs in scope "
                f"were made by {', '.join(repr(o) for o in others)}",
                code="not_own_packs",
            )
    return packs, dict(sorted(excluded.items()))


def campaign_scope(ledger: Ledger, caller: Caller, draft: CampaignDraft) -> CampaignScope:
    """What a campaign would recall: the codes to sign a `recalled` claim for, and the payload to sign."""
    org = _creator(caller)
    with ledger.engine.connect() as conn:
        packs, excluded = _plan(conn, org, draft)
    data = recalled_data(draft.id, draft.reason, draft.due)
    return CampaignScope(campaign=draft.id, data=data, codes=[p.code for p in packs], excluded=excluded)


def _check_claims(org: Org, draft: CampaignDraft, codes: list[str], claims: Sequence[tuple[Any, Any]]) -> None:
    expected = recalled_data(draft.id, draft.reason, draft.due)
    wanted, seen = set(codes), set[str]()
    problems: list[str] = []
    for position, (claim, _) in enumerate(claims):
        if not isinstance(claim, dict):
            problems.append(f"claims[{position}] is not an object")
            continue
        pack = claim.get("pack")
        if claim.get("type") != "recalled":
            problems.append(f"claims[{position}] is a {claim.get('type')!r} claim, not 'recalled'")
        elif claim.get("actor") != org.id:
            problems.append(f"claims[{position}] is signed for {claim.get('actor')!r}, not for {org.id!r}")
        elif claim.get("data") != expected:
            problems.append(f"claims[{position}] data differs from the campaign's: {expected}")
        elif pack not in wanted:
            problems.append(f"claims[{position}] recalls {pack!r}, which is not in the campaign's scope")
        elif pack in seen:
            problems.append(f"claims[{position}] recalls {pack!r} a second time")
        else:
            seen.add(pack)
    missing = sorted(wanted - seen)
    if missing:
        listed = ", ".join(missing[:5]) + (", …" if len(missing) > 5 else "")
        problems.append(f"{len(missing)} pack(s) in scope have no claim: {listed}")
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise InputError(f"the claims do not match the campaign's scope: {shown}", code="claims_do_not_match_scope")


def create_campaign(
    ledger: Ledger, caller: Caller, draft: CampaignDraft, claims: Sequence[tuple[Any, Any]]
) -> CampaignCreated:
    """Record a campaign and append its signed `recalled` claims, one per pack in scope, atomically."""
    org = _creator(caller)
    with ledger.engine.connect() as conn:  # the scope is read outside the write lock: it may read every pack
        packs, excluded = _plan(conn, org, draft)
    codes = [p.code for p in packs]
    _check_claims(org, draft, codes, claims)
    row = CampaignRow(draft.id, draft.reason, draft.scope.as_dict(), draft.due, org.id, ledger.clock(),
                      excluded, len(codes))  # fmt: skip
    with write_connection(ledger.engine) as conn, conn.begin():
        if not recallrows.reserve(conn, row, codes):  # the primary key decides a race for the same id
            raise ConflictError(f"a recall campaign {draft.id!r} exists already", code="campaign_exists")
    try:
        appended = ledger.append(list(claims), as_org=org.id)
    except BaseException:
        with write_connection(ledger.engine) as conn, conn.begin():
            recallrows.release(conn, draft.id)
        raise
    results = BatchResult(results=[
        EventResult(entry=a.entry, hash=a.hash, index=a.index, seq=a.seq, created=a.created) for a in appended
    ]).results  # fmt: skip
    return CampaignCreated(campaign=draft.id, packs=len(codes), excluded=excluded, results=results)


# -- following ------------------------------------------------------------------------------------------


def _may_read(caller: Caller, row: CampaignRow) -> None:
    if caller.org is not None and caller.org.id == row.created_by:
        return
    require_regulator(caller, "follow a recall campaign")


def _report(
    conn: Connection, row: CampaignRow, today: date, names: dict[str, str], where: Place | None = None
) -> CampaignReport:
    """The campaign's figures; with `where` (a region-scoped regulator), of the packs that touch its region."""
    scope_packs = recallrows.campaign_packs(conn, row.id)
    scope = row.scope
    if where is not None:
        named = scope.get("codes")
        listed: list[str] = [str(code) for code in named] if isinstance(named, list) else []
        touching = packrows.codes_touching(conn, [p.code for p in scope_packs] + listed, where.area)
        scope_packs = [p for p in scope_packs if p.code in touching]
        if listed:  # an explicit list names the region's packs only
            scope = scope | {"codes": [code for code in listed if code in touching]}
    codes = [p.code for p in scope_packs]
    kinds = {"recalled", str(REMEDY_BY_CAMPAIGN), *(str(t) for t in REMEDY_EVENTS)}
    by_pack: dict[str, list[PackEvent]] = {}
    recalled: dict[str, tuple[int, str]] = {}
    for entry in recallrows.entries_of(conn, codes, kinds):
        if entry.type == "recalled":
            if entry.data.get("campaign") == row.id and entry.actor == row.created_by and entry.pack not in recalled:
                recalled[entry.pack] = (entry.idx, entry.at)
        else:
            by_pack.setdefault(entry.pack, []).append(PackEvent(entry.idx, entry.type, entry.at, entry.data))
    packs: list[CampaignPack] = []
    for pack in scope_packs:
        mark = recalled.get(pack.code)
        fix = remedy(row.id, mark[0], by_pack.get(pack.code, ())) if mark is not None else None
        packs.append(
            CampaignPack(
                code=pack.code,
                status=pack.status,
                custodian=pack.custodian,
                custodian_name=names.get(pack.custodian),
                recalled_at=mark[1] if mark is not None else None,
                remedied=fix is not None,
                remedy=fix.type if fix is not None else None,
                remedied_at=fix.at if fix is not None else None,
                overdue=overdue(row.due, fix is not None, today),
            )
        )
    by_status: dict[str, int] = {}
    for item in packs:
        by_status[item.status] = by_status.get(item.status, 0) + 1
    remedied = sum(p.remedied for p in packs)
    late = [p.code for p in packs if p.overdue]
    return CampaignReport(
        id=row.id,
        reason=row.reason,
        scope=scope,
        due=row.due,
        created_by=row.created_by,
        created_at=row.created_at.isoformat(timespec="seconds"),
        packs=len(packs),
        remedied=remedied,
        overdue=len(late),
        completion=round(remedied / len(packs), 4) if packs else 0.0,
        excluded=row.excluded,
        by_status=dict(sorted(by_status.items())),
        overdue_packs=late,
        scope_packs=packs,
        region=where.region if where is not None else None,
    )


def campaign_report(ledger: Ledger, caller: Caller, campaign_id: str) -> CampaignReport:
    """A campaign's packs: where each is now, remedied or not, overdue or not; its completion rate."""
    with ledger.engine.connect() as conn:
        row = recallrows.campaign(conn, campaign_id)
        if row is None:
            require_regulator(caller, "follow a recall campaign")
            raise NotFoundError(f"no recall campaign {campaign_id!r}", code="unknown_campaign")
        _may_read(caller, row)
        names = {org.id: org.name for org in registry.list_orgs(conn)}
        return _report(conn, row, china_date(ledger.clock()), names, places.place(conn, caller, None))


def list_campaigns(ledger: Ledger, caller: Caller) -> CampaignList:
    """Every campaign (a manufacturer: its own), newest first, with its completion."""
    org = require_org(caller, "list recall campaigns")
    today = china_date(ledger.clock())
    with ledger.engine.connect() as conn:
        rows = recallrows.campaigns(conn)
        if not caller.is_regulator:
            if not org.has(Role.MANUFACTURER):
                require_regulator(caller, "list recall campaigns")
            rows = [row for row in rows if row.created_by == org.id]
        names = {o.id: o.name for o in registry.list_orgs(conn)}
        where = places.place(conn, caller, None)
        reports = [_report(conn, row, today, names, where) for row in rows]
    return CampaignList(campaigns=[CampaignSummary(**r.model_dump(include=set(CampaignSummary.model_fields)))
                                   for r in reports])  # fmt: skip
