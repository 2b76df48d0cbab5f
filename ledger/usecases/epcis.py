"""A pack's chain as a GS1 EPCIS 2.0 document (events.epcis), read with the same access tiers as its
history (ledger.usecases.packhistory): below the authority tier the events carry what that tier sees, and
their `eventID`s are the hashes of those events as served."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events import epcis
from events.timestamps import to_rfc3339
from ledger.log import Ledger
from ledger.usecases.access import Caller
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
