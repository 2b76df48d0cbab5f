"""The `component_link` projection from the log alone (events.components): what `verify` compares the stored
links with, and what fills them in a database whose log holds entries from before the projection existed.

The append folds each `produced`, `serviced` and `dismantled` entry against the links open at the time
(ledger.append.steps) and refuses one that contradicts them; replaying those entries in index order with
the same rules gives the same rows. Links follow the entries as recorded: a `corrected` entry does not move
them (docs/modules.md).
"""

from __future__ import annotations

import json

from events.components import OpenLink, children_named, fold, may_link
from events.errors import PacktraceError
from ledger.store import linkrows
from ledger.store.driver import Connection
from ledger.store.linkrows import LinkRow


def replayed(conn: Connection) -> list[LinkRow]:
    """The links the log's entries make, ordered like `linkrows.all_rows`."""
    rows: dict[tuple[str, int], LinkRow] = {}
    open_now: dict[str, OpenLink] = {}
    for idx, pack, kind, at, body in list(linkrows.linking_entries(conn)):
        try:
            data = json.loads(body)["claim"]["data"]
            if not may_link(kind, data):
                continue  # most `produced` entries: no module or cell
            named = set(children_named(pack, kind, data))
            named |= {open_now[c].parent for c in named if c in open_now and open_now[c].kind == "cell"}
            folded = fold(pack, kind, data, idx, at, {c: open_now[c] for c in named if c in open_now})
        except (PacktraceError, ValueError, KeyError, TypeError):
            continue  # not an entry the append could have accepted: verify names it in its own steps
        for end in folded.closed:
            link = open_now.pop(end.child)
            rows[(link.child, link.start_idx)] = rows[(link.child, link.start_idx)]._replace(
                end_idx=end.end_idx, end_at=end.end_at
            )
        for link in folded.opened:
            open_now[link.child] = link
            key = (link.child, link.start_idx)
            rows[key] = LinkRow(link.child, link.start_idx, link.parent, link.kind, link.start_at)
    return sorted(rows.values(), key=lambda row: (row.start_idx, row.child))


def rebuild(conn: Connection) -> int:
    """Write the projection afresh from the log (inside the caller's transaction); the rows written."""
    rows = replayed(conn)
    linkrows.clear(conn)
    linkrows.add_rows(conn, rows)
    return len(rows)
