"""The `correction` projection from the log alone: what `verify` compares the stored rows with, and what
fills them in a database whose log holds corrections from before the projection existed.

The append writes a row per `corrected` entry that changes its target (ledger.append.steps); replaying the
`corrected` entries in index order with `events.corrections.corrected(..., admitting=False)` gives the
same rows: an admitted correction is one the lenient reading accepts unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from events.corrections import corrected
from events.errors import PacktraceError
from ledger.store import appending, correctionrows, reportreset
from ledger.store.correctionrows import CorrectionRow
from ledger.store.driver import Connection


def replayed(conn: Connection) -> list[CorrectionRow]:
    """The rows the log's `corrected` entries make, in index order, the current one of each target marked."""
    rows: list[CorrectionRow] = []
    values: dict[int, dict[str, Any]] = {}  # target index -> its values so far
    latest: dict[int, int] = {}  # target index -> position in `rows` of its latest correction
    for idx, pack, body in list(correctionrows.corrected_entries(conn)):
        try:
            data = json.loads(body)["claim"]["data"]
            target = appending.target_entry(conn, pack, str(data["target"]))
            fields = data.get("fields", {})
            if target is None or target.idx >= idx or not isinstance(fields, dict):
                continue
            so_far = values.get(target.idx)
            if so_far is None:
                so_far = json.loads(target.body)["claim"]["data"]
            changed = corrected(pack, target.type, so_far, fields, admitting=False)
        except (PacktraceError, ValueError, KeyError, TypeError):
            continue  # not a correction the log could hold: verify names its entry in its own steps
        if changed is None:
            continue
        values[target.idx] = changed.data
        if target.idx in latest:
            rows[latest[target.idx]] = rows[latest[target.idx]]._replace(current=False)
        latest[target.idx] = len(rows)
        rows.append(CorrectionRow(idx, target.idx, pack, target.type, changed.data, changed.members))
    return rows


def rebuild(conn: Connection) -> int:
    """Write the projection afresh from the log (inside the caller's transaction), and start the report
    tables over, which count corrected values (ledger.usecases.report_index); the rows written."""
    rows = replayed(conn)
    correctionrows.clear(conn)
    correctionrows.add(conn, rows)
    reportreset.clear_all(conn)
    return len(rows)
