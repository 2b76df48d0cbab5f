"""A pack's history: its chain a page at a time, and its offline bundle, as the caller may see them
(entries and free text redacted below the authority tier: ledger.usecases.views)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from events.errors import InputError
from ledger.format.redaction import Redactor
from ledger.log import Ledger
from ledger.store import chains
from ledger.usecases import federation, places
from ledger.usecases.access import Caller, Tier, require_authenticated
from ledger.usecases.bundles import bundle_chunks, redacted_bundle_chunks
from ledger.usecases.corrected import corrected_entries
from ledger.usecases.cursors import check_limit, decode_seq_cursor, seq_cursor
from ledger.usecases.packreads import checked_code, reader_redactor, unknown_pack
from ledger.usecases.views import EntryLink, HistoryItem, PackHistory, discloses, history_item

HISTORY_PAGE = 100
MAX_HISTORY_PAGE = 1_000


def _chain_head(ledger: Ledger, code: str) -> chains.ChainHead:
    """The pack's maker and the `seq` of its last entry; NotFoundError for an unknown pack."""
    with ledger.engine.connect() as conn:
        found = chains.chain_head(conn, code)
    if found is None:
        raise unknown_pack(code)
    return found


def _as_reader(ledger: Ledger, caller: Caller, code: str) -> Caller:
    """A region-scoped regulator reads a pack outside its region as an ordinary organisation."""
    if caller.jurisdiction is None:
        return caller
    with ledger.engine.connect() as conn:
        return places.for_pack(conn, caller, code)


def _history(ledger: Ledger, caller: Caller, code: str, start: int, limit: int) -> tuple[list[HistoryItem], int]:
    """Up to `limit` entries of the chain from `seq` `start` as the caller may see them, and the chain's
    length (read first: a page never reaches past it, so a later page starts where this one ended)."""
    require_authenticated(caller, "reading a pack's history")
    manufacturer, last_seq = _chain_head(ledger, code)
    rows = ledger.pack_entries(code, start, max(0, min(limit, last_seq + 1 - start)))
    entries = [(json.loads(body), digest) for _, digest, body in rows]
    orgs = {actor: ledger.org(actor) for actor in {e["claim"]["actor"] for e, _ in entries}}
    redactor = reader_redactor(ledger, caller, manufacturer)
    items = [history_item(entry, digest, caller, orgs.__getitem__, redactor) for entry, digest in entries]
    return _with_corrections(ledger, code, items, caller, redactor), last_seq + 1


def _with_corrections(
    ledger: Ledger, code: str, items: list[HistoryItem], caller: Caller, redactor: Redactor
) -> list[HistoryItem]:
    """Each corrected entry with its values as corrected and links to its corrections; each correction
    with a link to the entry it corrects (below the authority tier, corrected values are redacted like
    the entries' own)."""
    with ledger.engine.connect() as conn:
        corrected = corrected_entries(conn, [code])
        named = {str(item.data.get("target")) for item in items if item.type == "corrected"}
        targets = chains.entries_by_hash(conn, code, sorted(named)) if named else {}
    shown = []
    for item in items:
        changes: dict[str, Any] = {}
        values = corrected.get(item.index)
        if values is not None:
            if caller.tier is not Tier.AUTHORITY:
                values = values.model_copy(
                    update={"values": redactor.withhold(item.type, values.values)[0],
                            "recorded": redactor.withhold(item.type, values.recorded)[0]}
                )  # fmt: skip
            changes["corrected"] = values
        if item.type == "corrected" and str(item.data.get("target")) in targets:
            index, seq = targets[str(item.data["target"])]
            changes["corrects"] = EntryLink(index=index, seq=seq, hash=str(item.data["target"]))
        shown.append(item.model_copy(update=changes) if changes else item)
    return shown


def get_pack_history(
    ledger: Ledger,
    caller: Caller,
    code: str,
    *,
    cursor: str | None = None,
    limit: int = HISTORY_PAGE,
    peers: Sequence[federation.Peer] = (),
    fetch: federation.Fetch | None = None,
    now: int = 0,
) -> PackHistory:
    """One page of the pack's chain in `seq` order, at most MAX_HISTORY_PAGE entries; `next` is the cursor
    of the page after it (null on the last). Entries never change and only join at the end, so following
    the cursors reads every entry of the chain exactly once. An authority reader's first page also holds
    the pack's life on the platform that handed it over here, or (with `fetch`) on the one it went to."""
    require_authenticated(caller, "reading a pack's history")
    check_limit(limit, MAX_HISTORY_PAGE)
    code = checked_code(code)
    caller = _as_reader(ledger, caller, code)
    start = decode_seq_cursor(cursor) if cursor else 0
    items, total = _history(ledger, caller, code, start, limit)
    if start > total:
        raise InputError(f"cursor {cursor!r} is past the end of pack {code}'s chain", code="invalid_cursor")
    end = start + len(items)
    following = seq_cursor(end) if end < total else None
    origin = onward = None
    if start == 0 and caller.is_authority:
        origin = federation.origin_part(ledger, code, peers)
        onward = federation.onward_part(ledger, code, peers, fetch, now) if fetch is not None else None
    return PackHistory(
        code=code,
        tier=caller.tier,
        events=items,
        total=total,
        next=following,
        origin_history=origin,
        onward_history=onward,
    )


def latest_pack_history(
    ledger: Ledger, caller: Caller, code: str, *, limit: int, before: int | None = None
) -> PackHistory:
    """The last `limit` entries of the chain before `seq` `before` (default: its end), for pages that show
    the latest events first; `next` is null (pages link by `seq`)."""
    require_authenticated(caller, "reading a pack's history")
    check_limit(limit, MAX_HISTORY_PAGE)
    code = checked_code(code)
    caller = _as_reader(ledger, caller, code)
    last_seq = _chain_head(ledger, code).last_seq
    end = last_seq + 1 if before is None else max(0, min(before, last_seq + 1))
    start = max(0, end - limit)
    items, total = _history(ledger, caller, code, start, end - start)
    return PackHistory(code=code, tier=caller.tier, events=items, total=total, next=None)


def get_pack_bundle(ledger: Ledger, caller: Caller, code: str) -> Iterator[bytes]:
    """The offline bundle as JSON, in pieces (a chain of any length is never held whole): the full bundle
    for the authority tier; for every other organisation the redacted one, in which an entry is disclosed
    only when the caller may read all of it (ledger.usecases.views.discloses) and is otherwise withheld whole."""
    require_authenticated(caller, "fetching a pack's bundle")
    code = checked_code(code)
    caller = _as_reader(ledger, caller, code)
    if caller.tier is Tier.AUTHORITY:
        return bundle_chunks(ledger, code)
    manufacturer = _chain_head(ledger, code).manufacturer
    disclose = discloses(caller, manufacturer, reader_redactor(ledger, caller, manufacturer))
    return redacted_bundle_chunks(ledger, code, disclose, tier=caller.tier.value)
