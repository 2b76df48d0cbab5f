"""A pack's chain as a GS1 EPCIS 2.0 document (events.epcis), read with the same access tiers as its
history (ledger.usecases.packhistory): below the authority tier the events carry what that tier sees, and
their `eventID`s are the hashes of those events as served."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from events import epcis
from events.errors import InputError, NotFoundError
from events.lots import parse_lot_subject
from events.timestamps import format_at, format_recorded_at, to_rfc3339
from ledger.log import Ledger
from ledger.store import epcisrows
from ledger.store.epcisrows import TimeWindow
from ledger.usecases import places
from ledger.usecases.access import Caller, require_authenticated
from ledger.usecases.cursors import decode_cursor, decode_seq_cursor, encode_cursor, seq_cursor
from ledger.usecases.packhistory import MAX_HISTORY_PAGE, get_pack_history


def pack_document(ledger: Ledger, caller: Caller, code: str, *, public_url: str, now: datetime) -> dict[str, Any]:
    """The EPCISDocument of every entry of the pack's chain the caller may read, in `seq` order."""
    events: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = get_pack_history(ledger, caller, code, cursor=cursor, limit=MAX_HISTORY_PAGE)
        for item in page.events:
            facts = epcis.EntryFacts(
                code=page.code,
                entry_type=item.type,
                at=item.at,
                recorded_at=item.recorded_at,
                entry_hash=item.hash,
                seq=item.seq,
                data=item.data,
                actor=item.actor,
                redacted=item.redacted,
            )
            events.extend(epcis.epcis_events(facts, public_url))
        cursor = page.next
        if cursor is None:
            return epcis.document(events, public_url, to_rfc3339(now))


MAX_PER_PAGE = 1_000
PER_PAGE = 100
MAX_EPCS = 100  # packs a query reads (each pack's chain is read whole)
# Entries a query over the whole log reads for one page at most: a page whose events are rare among the
# entries of the types asked for (an AggregationEvent among `produced` entries) ends early, with its next link.
MAX_SCAN = 5_000


@dataclass(frozen=True)
class QueryPage:
    document: dict[str, Any]
    next_page_token: str | None


def query_events(
    ledger: Ledger,
    caller: Caller,
    query: epcis.EventQuery,
    *,
    public_url: str,
    now: datetime,
    per_page: int = PER_PAGE,
    page_token: str | None = None,
) -> QueryPage:
    """A page of the EPCIS events answering the query, as the caller may see them: with EQ_epc, the named
    packs' events in pack then chain order (any organisation, at its tier of each pack); without, a
    regulator's query over the whole log (its region's chains for a region-scoped one) in event-time order.
    `next_page_token` reads the rest (null on the last page)."""
    require_authenticated(caller, "querying EPCIS events")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise epcis.QueryParameterError(f"perPage must be 1 to {MAX_PER_PAGE}, found {per_page}")
    epcis.check_query(query)
    if query.epcs:
        return _query_packs(ledger, caller, query, public_url=public_url, now=now, per_page=per_page,
                            page_token=page_token)  # fmt: skip
    if not caller.is_authority:
        raise epcis.QuerySecurityError(
            f"only a regulator may query EPCIS events without EQ_epc; name your packs with EQ_epc "
            f"({public_url}/p/{{code}}); you are {caller.describe()}"
        )
    return _query_log(ledger, caller, query, public_url=public_url, now=now, per_page=per_page,
                      page_token=page_token)  # fmt: skip


def _query_packs(
    ledger: Ledger, caller: Caller, query: epcis.EventQuery, *, public_url: str, now: datetime, per_page: int,
    page_token: str | None,
) -> QueryPage:  # fmt: skip
    if len(query.epcs) > MAX_EPCS:
        raise epcis.QueryParameterError(f"EQ_epc names {len(query.epcs)} EPCs; a query names at most {MAX_EPCS}")
    unknown = [epc for epc in query.epcs if epcis.code_of_epc(epc, public_url) is None]
    if unknown:
        raise epcis.QueryParameterError(
            f"EQ_epc {unknown[0][:80]!r} is not an EPC of this platform ({public_url}/p/{{code}})"
        )
    start = _cursor(decode_seq_cursor, page_token) if page_token else 0
    found: list[dict[str, Any]] = []
    for epc in dict.fromkeys(query.epcs):
        code = epcis.code_of_epc(epc, public_url)
        assert code is not None  # checked above
        events = pack_document(ledger, caller, code, public_url=public_url, now=now)["epcisBody"]["eventList"]
        found.extend(event for event in events if epcis.matches(event, query))
    if start > len(found):
        raise epcis.QueryParameterError(f"nextPageToken {page_token!r} is past the end of the results",
                                        code="invalid_cursor")  # fmt: skip
    page = found[start : start + per_page]
    following = seq_cursor(start + per_page) if start + per_page < len(found) else None
    return QueryPage(epcis.query_document(page, public_url, to_rfc3339(now)), following)


T = TypeVar("T")


def _cursor(decode: Callable[[str], T], token: str) -> T:
    """A page token decoded, or the cursor's refusal as a QueryParameterException."""
    try:
        return decode(token)
    except InputError as error:
        raise epcis.QueryParameterError(error.message, code="invalid_cursor") from None


class _Position(NamedTuple):
    """Where a page of the whole-log query starts: the entry (`at`, index) and the event of it (`part`)."""

    at: str
    idx: int
    part: int


_LOG_CURSOR = re.compile(r"at:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\|(\d{1,18})\|(\d{1,6})")


def _log_cursor(position: _Position) -> str:
    return encode_cursor(f"at:{position.at}|{position.idx}|{position.part}")


def _decode_log_cursor(token: str) -> _Position:
    found = _LOG_CURSOR.fullmatch(decode_cursor(token))
    if found is None:
        raise InputError(f"cursor {token[:40]!r} is not one this API gave out", code="invalid_cursor")
    return _Position(found[1], int(found[2]), int(found[3]))


def _ceil_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0) + timedelta(seconds=1) if moment.microsecond else moment


def _window(query: epcis.EventQuery) -> TimeWindow:
    """The query's times as bounds on the entry columns: `at` holds whole seconds, so a bound with a fraction
    of a second moves up to the next whole one (an `at` is at or after 10:00:00.5 when it is at or after
    10:00:01, and before 10:00:00.5 when it is before 10:00:01)."""

    def at(text: str | None, name: str) -> str | None:
        return None if text is None else format_at(_ceil_seconds(epcis.query_time(text, name)))

    def recorded(text: str | None, name: str) -> str | None:
        return None if text is None else format_recorded_at(epcis.query_time(text, name))

    return TimeWindow(
        ge_at=at(query.ge_event_time, "GE_eventTime"),
        lt_at=at(query.lt_event_time, "LT_eventTime"),
        ge_recorded_at=recorded(query.ge_record_time, "GE_recordTime"),
        lt_recorded_at=recorded(query.lt_record_time, "LT_recordTime"),
    )


def _query_log(
    ledger: Ledger, caller: Caller, query: epcis.EventQuery, *, public_url: str, now: datetime, per_page: int,
    page_token: str | None,
) -> QueryPage:  # fmt: skip
    """The whole log's events answering the query, in (eventTime, log index, part) order. The store filters
    the entries by type and time window; each entry's events are then matched one by one. A page reads at
    most MAX_SCAN entries; its token names the first event of the next page."""
    position = _cursor(_decode_log_cursor, page_token) if page_token else None
    types, window = epcis.entry_types(query), _window(query)
    with ledger.engine.connect() as conn:
        where = places.place(conn, caller, None)
    area = where.area if where is not None else None
    found: list[dict[str, Any]] = []
    following: _Position | None = None
    scanned = 0
    start = (position.at, position.idx) if position else None
    while True:
        batch = min(per_page + 1, MAX_SCAN - scanned)
        with ledger.engine.connect() as conn:
            rows = epcisrows.entries_by_time(conn, types, window, start=start, limit=batch, area=area)
        for row in rows:
            events = epcis.epcis_events(_facts(row.body, row.hash), public_url)
            skip = position.part if position and (row.at, row.idx) == (position.at, position.idx) else 0
            for part, event in enumerate(events):
                if part < skip or not epcis.matches(event, query):
                    continue
                if len(found) == per_page:
                    following = _Position(row.at, row.idx, part)
                    break
                found.append(event)
            if following is not None:
                break
            start = (row.at, row.idx + 1)
        scanned += len(rows)
        if following is not None or len(rows) < batch:
            break
        if scanned >= MAX_SCAN:  # the budget is spent: the next page goes on from the next entry, if any
            with ledger.engine.connect() as conn:
                more = epcisrows.entries_by_time(conn, types, window, start=start, limit=1, area=area)
            following = _Position(more[0].at, more[0].idx, 0) if more else None
            break
    token = _log_cursor(following) if following is not None else None
    return QueryPage(epcis.query_document(found, public_url, to_rfc3339(now)), token)


def _facts(body: bytes, entry_hash: str) -> epcis.EntryFacts:
    """An entry as the authority tier sees it (verbatim, like its pack history's)."""
    entry = json.loads(body)
    claim = entry["claim"]
    return epcis.EntryFacts(
        code=entry["pack"],
        entry_type=claim["type"],
        at=claim["at"],
        recorded_at=entry["recorded_at"],
        entry_hash=entry_hash,
        seq=entry["seq"],
        data=claim["data"],
        actor=claim["actor"],
    )


def lot_document(ledger: Ledger, caller: Caller, subject: str, *, public_url: str, now: datetime) -> dict[str, Any]:
    """The EPCISDocument of a recycler lot's own chain (`lot_opened`, `lot_recovered`): what the lot's EPC
    resolves to. Its entries are all the recycler's, so the recycler and the authority tier read them
    verbatim; anyone else is refused (the lot's black mass, suppliers and customs declarations)."""
    require_authenticated(caller, "reading a lot's EPCIS document")
    recycler, _ = parse_lot_subject(subject)
    with ledger.engine.connect() as conn:
        reader = places.for_pack(conn, caller, subject) if caller.jurisdiction is not None else caller
    if not reader.is_authority and caller.org_id != recycler:
        raise epcis.QuerySecurityError(
            f"only the lot's recycler {recycler!r} and the regulators may read lot {subject}; "
            f"you are {caller.describe()}"
        )
    rows = ledger.pack_entries(subject)
    if not rows:
        raise NotFoundError(f"unknown lot {subject}", code="unknown_lot")
    events = [event for row in rows for event in epcis.epcis_events(_facts(row.body, row.hash), public_url)]
    return epcis.document(events, public_url, to_rfc3339(now))
