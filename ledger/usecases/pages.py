"""What the web pages do beyond the API's views: the public pack page (what a phone camera opens from the
QR code), events posted from the scan page with the organisation's platform-held key (a swap as its two
halves in one request), and the pool a swap station's scan page offers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field

from events.catalogue import EventType
from events.errors import LifecycleError, NotFoundError
from events.orgs import Role
from ledger.append.outcome import Appended
from ledger.log import Ledger
from ledger.store import registry
from ledger.usecases import custodial, federation, packreads, places, pool
from ledger.usecases.access import Caller, require_org
from ledger.usecases.views import PackView, View


class PublicPack(View):
    pack: PackView
    maker_name: str | None = Field(description="the producing organisation's name")


def public_pack(ledger: Ledger, caller: Caller, code: str) -> PublicPack:
    """The pack as `caller` may see it, with its maker's name (which is public)."""
    view = packreads.get_pack_view(ledger, caller, code)
    with ledger.engine.connect() as conn:
        maker = registry.get_org(conn, view.manufacturer)
    return PublicPack(pack=view, maker_name=maker.name if maker is not None else None)


def post_action(
    ledger: Ledger,
    caller: Caller,
    *,
    code: str,
    event_type: str,
    data: Mapping[str, Any],
    prev: str | None,
    sealing_key: bytes,
    peers: Sequence[federation.Peer] = (),
) -> Appended:
    """Post `event_type` on `code` as the caller's organisation, signed with its platform-held key. What the
    configuration decides about a claim is checked as for the API (`federation.check_claims`: a transfer goes
    to one of `peers`).

    A receipt names its sender, which the receiver may not read in its view of the pack: it is filled in
    here from the pack's state. A lease that names neither a vehicle nor a site is for the vehicle or site
    the pack is installed in, read here likewise. `prev` (the head the person saw) makes a stale page a 409, not a
    surprise.
    """
    org = require_org(caller, "posting events")
    places.require_writes_in_jurisdiction(ledger, caller, [{"pack": code}])
    payload = dict(data)
    federation.check_claims(peers, [{"type": event_type, "data": payload}])
    if event_type == EventType.SWAPPED:
        return post_swap(ledger, caller, outgoing=code, data=payload, prev=prev, sealing_key=sealing_key)[0]
    if event_type == "received" and "from" not in payload:
        state = ledger.pack_state(code)
        if state is None:
            raise NotFoundError(f"unknown pack {code}", code="unknown_pack")
        if state.sender is None:
            raise LifecycleError(f"pack {code} is {state.status}: there is no shipment to acknowledge")
        payload["from"] = state.sender
    if event_type == EventType.LEASED and "vin" not in payload and "site" not in payload:
        # a lease taken on the phone is for the vehicle or site the pack is in: read here, not typed
        state = ledger.pack_state(code)
        binding = state.binding if state is not None else None
        if binding is not None:
            payload[binding.kind] = binding.target
    return custodial.post_as(
        ledger, org.id, pack=code, type=event_type, data=payload, prev=prev, sealing_key=sealing_key
    )


def post_swap(
    ledger: Ledger, caller: Caller, *, outgoing: str, data: Mapping[str, Any], prev: str | None, sealing_key: bytes
) -> list[Appended]:
    """A swap from the scan page: the outgoing pack is the one scanned, in its vehicle (read here, as the
    person does not type the VIN); `data` names the incoming pack (`partner`) and, optionally, the station
    (`site`). Both halves go in one request: both are recorded, or neither."""
    org = require_org(caller, "posting events")
    state = ledger.pack_state(outgoing)
    if state is None:
        raise NotFoundError(f"unknown pack {outgoing}", code="unknown_pack")
    binding = state.binding
    if binding is None or binding.kind != "vin":
        raise LifecycleError(
            f"pack {outgoing} is {state.status}, not in a vehicle: a swap starts from the pack in the vehicle"
        )
    incoming = str(data.get("partner", ""))
    site = {"site": data["site"]} if data.get("site") else {}
    out = {"direction": "out", "vin": binding.target, "partner": incoming, **site}
    into = {"direction": "in", "vin": binding.target, "partner": outgoing}
    return custodial.post_together_as(
        ledger,
        org.id,
        [(outgoing, EventType.SWAPPED, out, prev), (incoming, EventType.SWAPPED, into, None)],
        sealing_key=sealing_key,
    )


def scan_pool(ledger: Ledger, caller: Caller) -> pool.PoolPage | None:
    """The pool the scan page offers a swap station (its own packs in stock); None for other organisations."""
    if caller.org is None or not caller.org.has(Role.SWAP_OPERATOR):
        return None
    return pool.station_pool(ledger, caller, caller.org.id, limit=pool.MAX_POOL_PAGE)
