"""Between platforms (docs/federation.md): what an `arrived` entry must say about the origin's transfer.

An arrival (外省移交接收) starts a pack's chain on this platform with the origin platform's `transferred`
entry, verbatim, and its C2SP tlog-proof. The proof's cryptography is the ledger's
(ledger.format.handover); here is what the entry itself must say, as data:

- the transfer entry is a `transferred` entry of this pack's code;
- it hands the pack to the organisation posting the arrival (`to`);
- it names this platform (`platform`) as the receiving one, when the caller knows this platform's origin
  (the ledger does; the domain's replay does not);
- the arrival names the same origin platform that the caller verified the proof under;
- the copied `produced` facts are the origin's `produced` entry's as corrected in its bundle (`produced_problem`),
  and the arrival is not dated before the transfer (`arrival_time_problem`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from events.catalogue import ArrivedData, EventType
from events.corrections import corrected
from events.errors import InvalidPayload
from events.timestamps import from_rfc3339

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


def origin_produced(entries: Sequence[Mapping[str, Any]], produced_hash: str) -> dict[str, Any]:
    """The origin's `produced` facts as its bundle holds them corrected: the first entry's data with every
    `corrected` entry that names it (`produced_hash`, its entry hash) applied in log order, as the origin's own
    reports read them (events.corrections, read as recorded)."""
    first = entries[0]["claim"]
    facts = dict(first.get("data", {}))
    for entry in entries[1:]:
        claim = entry.get("claim", {})
        data = claim.get("data", {})
        if claim.get("type") == EventType.CORRECTED and data.get("target") == produced_hash:
            fields = data.get("fields")
            changed = (
                corrected(first["pack"], EventType.PRODUCED, facts, fields, admitting=False)
                if isinstance(fields, Mapping)
                else None
            )
            facts = changed.data if changed is not None else facts
    return facts


def produced_problem(data: ArrivedData, entries: Sequence[Mapping[str, Any]], produced_hash: str) -> str | None:
    """Why the arrival's copied facts are not the origin's `produced` facts as corrected in its bundle
    (`entries`, the origin's chain; `produced_hash`, its first entry's hash); None if they are."""
    claim = entries[0].get("claim", {}) if entries else {}
    if claim.get("type") != EventType.PRODUCED:
        return "the origin's first entry is not 'produced'"
    facts, given = origin_produced(entries, produced_hash), dict(data.produced)
    if facts != given:
        differ = ", ".join(
            f"{name}: {facts.get(name)!r}, not {given.get(name)!r}"
            for name in sorted(set(facts) | set(given))
            if facts.get(name) != given.get(name)
        )
        return f"data.produced differs from the origin's 'produced' facts as corrected in its bundle ({differ})"
    if claim.get("actor") != data.manufacturer:
        return f"data.manufacturer: the origin's 'produced' entry was posted by {claim.get('actor')!r}"
    return None


def arrival_time_problem(at: str, data: ArrivedData) -> str | None:
    """Why an arrival dated `at` cannot follow its transfer (dated before it); None if it can."""
    transfer_claim = data.transfer.get("claim")
    transfer_at = transfer_claim.get("at") if isinstance(transfer_claim, Mapping) else None
    if not isinstance(transfer_at, str):
        return None  # check_transfer names a transfer that is no entry
    try:
        early = from_rfc3339(at) < from_rfc3339(transfer_at)
    except (TypeError, ValueError):  # a malformed `at`: the claim's own check names it
        return None
    if early:
        return f"the arrival is dated {at}, before the origin's transfer ({transfer_at})"
    return None
