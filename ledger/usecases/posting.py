"""Posting signed claims: one (from an event loop, without blocking it) or a batch appended atomically."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.append.outcome import Appended
from ledger.log import Ledger
from ledger.usecases import federation, places
from ledger.usecases.access import Caller, require_org


async def submit(
    ledger: Ledger, caller: Caller, claim: Any, sig: Any, peers: Sequence[federation.Peer] = ()
) -> Appended:
    """Append one signed claim of the caller's organisation (or answer its earlier entry), from an event
    loop, which it does not block. `peers`: the platforms a pack may be transferred to (docs/federation.md)."""
    org = require_org(caller, "posting events")
    places.require_writes_in_jurisdiction(ledger, caller, [claim])
    federation.check_claims(peers, [claim])
    return await ledger.append_one_async(claim, sig, as_org=org.id)


def submit_batch(
    ledger: Ledger, caller: Caller, items: Sequence[tuple[Any, Any]], peers: Sequence[federation.Peer] = ()
) -> list[Appended]:
    """Append signed claims atomically, in order (their entries, answered by `views.batch_result_json`);
    BatchRejected lists every failing position."""
    org = require_org(caller, "posting events")
    places.require_writes_in_jurisdiction(ledger, caller, [claim for claim, _ in items])
    federation.check_claims(peers, [claim for claim, _ in items])
    return ledger.append(items, as_org=org.id)
