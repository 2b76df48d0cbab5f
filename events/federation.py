"""Between platforms (docs/federation.md): what an `arrived` entry must say about the origin's transfer.

An arrival (外省移交接收) starts a pack's chain on this platform with the origin platform's `transferred`
entry, verbatim, and its C2SP tlog-proof. The proof's cryptography is the ledger's
(ledger.format.handover); here is what the entry itself must say, as data:

- the transfer entry is a `transferred` entry of this pack's code;
- it hands the pack to the organisation posting the arrival (`to`);
- it names this platform (`platform`) as the receiving one, when the caller knows this platform's origin
  (the ledger does; the domain's replay does not);
- the arrival names the same origin platform that the caller verified the proof under;
- the copied `produced` facts are the origin's `produced` entry's (`produced_problem`, given that entry).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.catalogue import ArrivedData, EventType
from events.errors import InvalidPayload

TRANSFER_MEMBERS = frozenset({"v", "index", "pack", "seq", "prev", "recorded_at", "claim", "sig"})
# Where a chain's first entry holds the facts of the pack's production (batch, plant, …): a `produced` entry
# in its payload, an `arrived` entry in the origin's `produced` payload it copies. The reports read an
# arrived pack's batch and plant there, as they read a pack's made here (docs/federation.md §7).
PRODUCED_FACTS: dict[str, tuple[str, ...]] = {
    EventType.PRODUCED.value: ("claim", "data"),
    EventType.ARRIVED.value: ("claim", "data", "produced"),
}


def _refuse(problem: str) -> InvalidPayload:
    return InvalidPayload(f"invalid 'arrived' payload: {problem}", code="bad_handover")


def check_transfer(code: str, receiver: str, data: ArrivedData, own_origin: str | None) -> None:
    """Raise InvalidPayload (code `bad_handover`) unless `data.transfer` hands `code` to `receiver` here."""
    entry = data.transfer
    if set(entry) != TRANSFER_MEMBERS:
        raise _refuse("data.transfer: not a log entry (members v, index, pack, seq, prev, recorded_at, claim, sig)")
    claim = entry["claim"]
    transfer = claim.get("data") if isinstance(claim, Mapping) else None
    if not isinstance(claim, Mapping) or not isinstance(transfer, Mapping):
        raise _refuse("data.transfer: the entry has no claim with data")
    if claim.get("type") != EventType.TRANSFERRED or entry["pack"] != code or claim.get("pack") != code:
        raise _refuse(f"data.transfer: not a 'transferred' entry of pack {code}")
    if transfer.get("to") != receiver:
        raise _refuse(f"data.transfer: the origin handed the pack to {transfer.get('to')!r}, not to {receiver!r}")
    if own_origin is not None and transfer.get("platform") != own_origin:
        raise _refuse(
            f"data.transfer: the origin handed the pack to platform {transfer.get('platform')!r}, not to this "
            f"platform {own_origin!r}"
        )


def produced_problem(data: ArrivedData, produced_entry: Mapping[str, Any]) -> str | None:
    """Why the arrival's copied facts are not the origin's `produced` entry's; None if they are."""
    claim = produced_entry.get("claim", {})
    if claim.get("type") != EventType.PRODUCED:
        return "the origin's first entry is not 'produced'"
    if dict(claim.get("data", {})) != dict(data.produced):
        return "data.produced differs from the data of the origin's 'produced' entry"
    if claim.get("actor") != data.manufacturer:
        return f"data.manufacturer: the origin's 'produced' entry was posted by {claim.get('actor')!r}"
    return None
