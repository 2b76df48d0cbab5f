"""Logs of an exact size, appended fast: the log's `log_key` entry (what a deployment writes first, so the
CLI adds none), then a manufacturer (two registry entries) and pre-signed `produced` claims of distinct
packs in batches of 10,000."""

from __future__ import annotations

import uuid

from events.codes import make_code
from events.orgs import Org, Role
from ledger.format.claims import new_claim, sign_claim
from ledger.log import Ledger
from ledger.usecases import logrotation
from tests.support import PRODUCED, T0, add_actor

BATCH = 10_000


def grow(ledger: Ledger, size: int) -> list[str]:
    """Append to an empty log until it holds `size` entries; the codes of the packs produced."""
    assert ledger.size() == 0 and (size == 1 or size >= 4), size
    logrotation.name_key(ledger)
    if size == 1:
        return []
    maker = add_actor(ledger, Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"})))
    codes = [make_code("001", "pack", "B", "12", "ABCDEFG", T0.date(), serial) for serial in range(size - 3)]
    for start in range(0, len(codes), BATCH):
        items = []
        for serial, code in enumerate(codes[start : start + BATCH], start=start):
            claim = new_claim(
                pack=code,
                type="produced",
                actor="catl",
                key=maker.key_id,
                data=PRODUCED,
                at=T0,
                claim_id=str(uuid.UUID(int=serial)),
            )
            items.append((claim, sign_claim(claim, maker.private)))
        ledger.append(items)
    assert ledger.size() == size
    return codes
