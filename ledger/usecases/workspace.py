"""The regulator workspace's use cases besides the reports: the overview, pack search, and a pack's
dossier (its history, custody, vehicles and a verification of its record). Regulators only.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import Connection, func, select

from events.codes import parse_code
from events.effects import CUSTODY_MOVES
from events.errors import InputError, PacktraceError, VerificationError
from events.orgs import ORG_ID
from events.timestamps import china_date
from events.vin import validate_vin
from ledger.format.bundle import verify_bundle, verify_window
from ledger.log import Ledger
from ledger.store import registry
from ledger.store.schema import Entry, Pack
from ledger.usecases import packhistory, packreads, reports
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.bundles import make_bundle, window_bundle
from ledger.usecases.report_index import DAY, DEFAULT_BASIS, LATE, refresh
from ledger.usecases.views import BindingView, HistoryItem, PackView, View

PACK = Pack.__table__  # type: ignore[attr-defined]
ENTRY = Entry.__table__  # type: ignore[attr-defined]
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


class Overview(View):
    as_of: datetime
    log_size: int
    packs: int
    by_status: list[StatusCount]
    per_day: list[DayCount] = Field(description="entries by the day the events happened (China time)")
    late_total: int
    unaccounted_total: int
    timeliness: list[reports.OrgLateness]
    recovery: list[reports.RecoveryRow]


def overview(ledger: Ledger, caller: Caller, *, days: int = OVERVIEW_DAYS) -> Overview:
    """Packs by status, events per day, timeliness per organisation and recovery rates."""
    require_regulator(caller, "open the regulator's overview")
    compliance = reports.compliance(ledger, caller, limit=1)
    recovery = reports.recovery(ledger, caller)
    last = china_date(compliance.as_of)
    first = last - timedelta(days=days - 1)
    with ledger.engine.connect() as conn:
        by_status = conn.execute(
            select(PACK.c.status, func.count()).group_by(PACK.c.status).order_by(PACK.c.status)
        ).all()
        daily = {
            row.day: row
            for row in conn.execute(
                select(DAY.c.day, DAY.c.entries, DAY.c.late).where(
                    DAY.c.basis == DEFAULT_BASIS.name, DAY.c.day >= first, DAY.c.day <= last
                )
            )
        }
    per_day = []
    for n in range(days):
        day = first + timedelta(days=n)
        row = daily.get(day)
        per_day.append(DayCount(day=day, entries=int(row.entries) if row else 0, late=int(row.late) if row else 0))
    return Overview(
        as_of=compliance.as_of,
        log_size=compliance.log_size,
        packs=sum(int(count) for _, count in by_status),
        by_status=[StatusCount(status=status, count=int(count)) for status, count in by_status],
        per_day=per_day,
        late_total=compliance.late_total,
        unaccounted_total=len(compliance.unaccounted),
        timeliness=compliance.by_org,
        recovery=recovery.totals,
    )


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
    kind: str = Field(description="how the query was read: code, vin, maker_code, custodian or prefix")
    packs: list[PackSummary]
    more: bool = Field(description=f"more than {SEARCH_LIMIT} packs matched")


_PREFIX = re.compile(r"[A-Z0-9]{1,24}")


def search_packs(ledger: Ledger, caller: Caller, query: str) -> SearchResult:
    """Packs by full code, VIN (installed now), maker code, custodian org id, or code prefix."""
    require_regulator(caller, "search packs")
    text = query.strip()
    upper = text.upper()
    kind, condition = _search_condition(text, upper, ledger)
    stmt = select(
        PACK.c.code, PACK.c.status, PACK.c.custodian, PACK.c.chemistry, PACK.c.production_date, PACK.c.vin
    ).where(condition)
    with ledger.engine.connect() as conn:
        rows = conn.execute(stmt.order_by(PACK.c.code).limit(SEARCH_LIMIT + 1)).all()
    packs = [PackSummary(**row._asdict()) for row in rows[:SEARCH_LIMIT]]
    return SearchResult(query=text, kind=kind, packs=packs, more=len(rows) > SEARCH_LIMIT)


def _search_condition(text: str, upper: str, ledger: Ledger) -> tuple[str, Any]:
    if not text:
        raise InputError("type a battery code, a VIN, a maker code or an organisation id", code="invalid_filter")
    if len(upper) in (19, 24) and upper.isalnum():
        return "code", PACK.c.code == parse_code(upper, strict=False).code
    if len(upper) == 17:
        try:
            return "vin", PACK.c.vin == validate_vin(upper)
        except InputError:
            pass
    if len(upper) == 3 and reports.MAKER_CODE.fullmatch(upper):
        return "maker_code", PACK.c.maker_code == upper
    if ORG_ID.fullmatch(text):
        with ledger.engine.connect() as conn:
            if registry.get_org(conn, text) is not None:
                return "custodian", PACK.c.custodian == text
    if not _PREFIX.fullmatch(upper):
        raise InputError(f"{text!r} is not a code, VIN, maker code or organisation id", code="invalid_filter")
    # LIKE serves PostgreSQL (its pattern index); the range serves SQLite, whose LIKE ignores case and so
    # no index. Both are exact for codes, which hold digits and upper-case letters only.
    condition = PACK.c.code.like(f"{upper}%") & (PACK.c.code >= upper)
    bound = _prefix_bound(upper)
    return "prefix", condition if bound is None else condition & (PACK.c.code < bound)


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _prefix_bound(prefix: str) -> str | None:
    """The least code-alphabet string above every string that starts with `prefix` (None: no bound)."""
    while prefix and prefix[-1] == _ALPHABET[-1]:
        prefix = prefix[:-1]
    if not prefix:
        return None
    return prefix[:-1] + _ALPHABET[_ALPHABET.index(prefix[-1]) + 1]


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


class CustodySpan(View):
    org: str
    name: str | None
    since: str = Field(description="`at` of the entry that gave it custody")
    until: str | None
    via: str = Field(description="the event type that gave it custody")
    index: int


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


def _before(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise InputError(f"before: {text[:40]!r} is not an entry's seq (a whole number)", code="invalid_filter")
    return max(1, int(text))  # a page holds at least the entry before it


def pack_dossier(ledger: Ledger, caller: Caller, code: str, *, before: str | None = None) -> PackDossier:
    """Everything about one pack, with its record verified as an outsider would: bundle, log key. A page
    shows the latest DOSSIER_SHOWN entries before `seq` `before` (default: the chain's end), however long
    the chain, and verifies those."""
    require_regulator(caller, "open a pack's dossier")
    view = packreads.get_pack_view(ledger, caller, code)
    page = packhistory.latest_pack_history(ledger, caller, view.code, limit=DOSSIER_SHOWN, before=_before(before))
    history = page.events
    first = history[0].seq if history else 0
    last = history[-1].seq if history else -1
    refresh(ledger)
    with ledger.engine.connect() as conn:
        late = {
            int(idx): int(days)
            for idx, days in conn.execute(
                select(LATE.c.idx, LATE.c.working_days_late).where(
                    LATE.c.basis == DEFAULT_BASIS.name,
                    LATE.c.pack == view.code,
                    LATE.c.idx >= (history[0].index if history else 0),
                    LATE.c.idx <= (history[-1].index if history else -1),
                )
            )
        }
        custody = _custody(conn, _custody_moves(conn, view.code))
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
        verification=verify_pack_record(ledger, view.code, first, last, page.total),
    )


def verify_pack_record(
    ledger: Ledger, code: str, first_seq: int = 0, last_seq: int | None = None, total: int | None = None
) -> Verification:
    """Build the offline bundle of the pack's entries `first_seq`…`last_seq` (default: all) against the
    latest checkpoint and verify it with the log's verifier key: what `packtrace verify-bundle` would say
    of them."""
    log_key = ledger.signer.verifier_key
    try:
        if first_seq == 0 and last_seq is None:
            bundle = make_bundle(ledger, code)
            summary = verify_bundle(bundle, log_key)
        else:
            bundle = window_bundle(ledger, code, first_seq, last_seq if last_seq is not None else first_seq)
            summary = verify_window(bundle, log_key)
    except VerificationError as exc:
        return Verification(
            verified=False, entries=0, tree_size=None, root=None, checkpoint=None, log_key=log_key, error=exc.message
        )
    except PacktraceError as exc:  # e.g. a proof the stored tree cannot give: the record is damaged
        return Verification(
            verified=False,
            entries=0,
            tree_size=None,
            root=None,
            checkpoint=None,
            log_key=log_key,
            error=f"{type(exc).__name__}: {exc.message}",
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
    )


def _custody_moves(conn: Connection, code: str) -> list[dict[str, Any]]:
    """The pack's latest entries that moved custody (at most CUSTODY_SHOWN + 1, oldest first), read by type
    so that a chain of many other entries costs no parsing."""
    rows = conn.execute(
        select(ENTRY.c.body)
        .where(ENTRY.c.pack == code, ENTRY.c.type.in_(sorted(CUSTODY_MOVES)))
        .order_by(ENTRY.c.seq.desc())
        .limit(CUSTODY_SHOWN + 1)
    ).all()
    return [json.loads(row.body) for row in reversed(rows)]


def _custody(conn: Connection, entries: list[dict[str, Any]]) -> list[CustodySpan]:
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
    names = {org.id: org.name for org in registry.list_orgs(conn)}
    return [span.model_copy(update={"name": names.get(span.org)}) for span in spans[-CUSTODY_SHOWN:]]
