"""A pack's chain as a GS1 EPCIS 2.0 document (events.epcis), read with the same access tiers as its
history (ledger.usecases.packhistory): below the authority tier the events carry what that tier sees, and
their `eventID`s are the hashes of those events as served."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events import epcis
from events.errors import InputError
from events.timestamps import to_rfc3339
from ledger.log import Ledger
from ledger.usecases.access import Caller, require_authenticated
from ledger.usecases.cursors import decode_seq_cursor, seq_cursor
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


@dataclass(frozen=True)
class QueryPage:
    document: dict[str, Any]
    next_page_token: str | None


def _checked_time(text: str | None, name: str) -> str | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name} {text[:40]!r} is not a date-time (RFC 3339)", code="invalid_filter") from None
    if moment.tzinfo is None:
        raise InputError(f"{name} {text[:40]!r} has no time zone offset", code="invalid_filter")
    return text


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
    """The events of the packs `query.epcs` names that answer the query, in pack then chain order, as
    the caller's tier sees each pack's history; `next_page_token` reads the rest (null on the last page)."""
    require_authenticated(caller, "querying EPCIS events")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InputError(f"perPage must be 1 to {MAX_PER_PAGE}, found {per_page}", code="invalid_filter")
    if not query.epcs:
        raise InputError(f"EQ_epc is required: the packs' EPCs ({public_url}/p/{{code}})", code="invalid_filter")
    if len(query.epcs) > MAX_EPCS:
        problem = f"EQ_epc names {len(query.epcs)} EPCs; a query names at most {MAX_EPCS}"
        raise InputError(problem, code="invalid_filter")
    unknown = [epc for epc in query.epcs if epcis.code_of_epc(epc, public_url) is None]
    if unknown:
        raise InputError(f"EQ_epc {unknown[0][:80]!r} is not an EPC of this platform ({public_url}/p/{{code}})",
                         code="invalid_filter")  # fmt: skip
    bad_types = [kind for kind in query.event_types if kind not in epcis.EVENT_TYPES]
    if bad_types:
        raise InputError(f"eventType {bad_types[0][:40]!r} is not one of {', '.join(epcis.EVENT_TYPES)}",
                         code="invalid_filter")  # fmt: skip
    _checked_time(query.ge_event_time, "GE_eventTime")
    _checked_time(query.lt_event_time, "LT_eventTime")
    start = decode_seq_cursor(page_token) if page_token else 0
    found: list[dict[str, Any]] = []
    for epc in dict.fromkeys(query.epcs):
        code = epcis.code_of_epc(epc, public_url)
        assert code is not None  # checked above
        events = pack_document(ledger, caller, code, public_url=public_url, now=now)["epcisBody"]["eventList"]
        found.extend(event for event in events if epcis.matches(event, query))
    if start > len(found):
        raise InputError(f"nextPageToken {page_token!r} is past the end of the results", code="invalid_cursor")
    page = found[start : start + per_page]
    following = seq_cursor(start + per_page) if start + per_page < len(found) else None
    return QueryPage(epcis.query_document(page, public_url, to_rfc3339(now)), following)
