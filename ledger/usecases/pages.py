"""What the web pages do beyond the API's views: the public pack page (what a phone camera opens from the
QR code) and events posted from the scan page with the organisation's platform-held key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from events.errors import LifecycleError, NotFoundError
from ledger.append.outcome import Appended
from ledger.log import Ledger
from ledger.store import registry
from ledger.usecases import custodial, packreads, places
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
) -> Appended:
    """Post `event_type` on `code` as the caller's organisation, signed with its platform-held key.

    A receipt names its sender, which the receiver may not read in its view of the pack: it is filled in
    here from the pack's state. `prev` (the head the person saw) makes a stale page a 409, not a
    surprise.
    """
    org = require_org(caller, "posting events")
    places.require_writes_in_jurisdiction(ledger, caller, [{"pack": code}])
    payload = dict(data)
    if event_type == "received" and "from" not in payload:
        state = ledger.pack_state(code)
        if state is None:
            raise NotFoundError(f"unknown pack {code}", code="unknown_pack")
        if state.sender is None:
            raise LifecycleError(f"pack {code} is {state.status}: there is no shipment to acknowledge")
        payload["from"] = state.sender
    return custodial.post_as(
        ledger, org.id, pack=code, type=event_type, data=payload, prev=prev, sealing_key=sealing_key
    )
