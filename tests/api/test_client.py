"""api.client against the app in-process: signing, posting, errors, reading."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anyio.from_thread
import pytest
from fastapi import FastAPI

from api.client import ApiError, PacktraceClient, Signer
from events.orgs import Role
from ledger.format.bundle import verify_bundle
from ledger.log import Ledger
from tests.api.inprocess import InProcessTransport
from tests.api.parties import ADMIN_TOKEN, VIN, Party
from tests.api.scenario import PRODUCED, code
from tests.support import T0

Connect = Callable[[str | None], PacktraceClient]


@pytest.fixture
def connect(app: FastAPI) -> Iterator[Connect]:
    """Clients of the app in-process, one per token."""
    opened: list[PacktraceClient] = []
    with anyio.from_thread.start_blocking_portal() as portal:

        def make(token: str | None) -> PacktraceClient:
            client = PacktraceClient("http://testserver", token=token, transport=InProcessTransport(app, portal))
            opened.append(client)
            return client

        yield make
        for client in opened:
            client.close()


def signer_of(party: Party) -> Signer:
    return Signer(party.id, party.key_id, party.private)


def test_a_signed_event_is_posted_and_a_retry_is_recognised(
    connect: Connect, parties: dict[Role, Party], base: int
) -> None:
    maker = parties[Role.MANUFACTURER]
    api = connect(maker.token)
    event = signer_of(maker).sign(code(1), "produced", PRODUCED, at=T0)

    first = api.post_event(event)
    again = api.post_event(event)
    assert (first["index"], first["created"], again["created"]) == (base, True, False)
    assert again["hash"] == first["hash"]


def test_batches_are_split_and_posted_in_order(connect: Connect, parties: dict[Role, Party], base: int) -> None:
    maker = parties[Role.MANUFACTURER]
    api = connect(maker.token)
    events = [signer_of(maker).sign(code(i), "produced", PRODUCED, at=T0) for i in range(5)]

    posted = list(api.post_batches(events, size=2))
    assert [(offset, len(results)) for offset, results in posted] == [(0, 2), (2, 2), (4, 1)]
    assert [r["index"] for _, results in posted for r in results] == [base + i for i in range(5)]
    with pytest.raises(ValueError, match="batch size must be 1 to 10000, not 0"):
        list(api.post_batches(events, size=0))


def test_a_refusal_is_an_api_error_with_its_code_and_items(connect: Connect, parties: dict[Role, Party]) -> None:
    maker = parties[Role.MANUFACTURER]
    api = connect(maker.token)
    bad = signer_of(maker).sign(code(1), "produced", {**PRODUCED, "mass_kg": 0}, at=T0)

    with pytest.raises(ApiError) as single:
        api.post_event(bad)
    assert (single.value.status, single.value.code) == (422, "invalid_payload")
    assert str(single.value) == (
        "HTTP 422 invalid_payload: invalid 'produced' payload: data.mass_kg: Input should be greater than 0, got 0"
    )
    with pytest.raises(ApiError) as batch:
        api.post_batch([signer_of(maker).sign(code(2), "produced", PRODUCED, at=T0), bad])
    assert batch.value.code == "batch_rejected"
    assert [(e["position"], e["code"]) for e in batch.value.errors] == [(1, "invalid_payload")]


def test_the_client_reads_packs_and_the_log(
    connect: Connect, parties: dict[Role, Party], ledger: Ledger, base: int
) -> None:
    maker, automaker = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER]
    as_maker, as_automaker = connect(maker.token), connect(automaker.token)
    sign_maker, sign_automaker = signer_of(maker), signer_of(automaker)
    as_maker.post_batch([sign_maker.sign(code(i), "produced", PRODUCED, at=T0) for i in range(3)])
    as_maker.post_event(sign_maker.sign(code(0), "shipped", {"to": "automaker"}, at=T0))
    as_automaker.post_event(sign_automaker.sign(code(0), "received", {"from": "manufacturer"}, at=T0))
    as_automaker.post_event(sign_automaker.sign(code(0), "installed", {"vin": VIN}, at=T0))
    regulator = connect(parties[Role.REGULATOR].token)

    assert connect(None).pack(code(0))["status"] == "in_use"
    assert regulator.pack(code(0))["vin"] == VIN
    assert [e["type"] for e in regulator.pack_events(code(0))["events"]] == [
        "produced",
        "shipped",
        "received",
        "installed",
    ]
    assert verify_bundle(as_automaker.bundle(code(0)), regulator.log_key()["verifier_key"]).entries == 4
    assert [p["code"] for p in regulator.packs(limit=1)] == [code(0), code(1), code(2)]
    assert [p["code"] for p in as_maker.packs(status="produced")] == [code(1), code(2)]
    size = base + 7  # the bundle above made the log commit to every chain's head: entry base+6
    assert regulator.checkpoint().startswith(f"packtrace.test/log\n{size}\n")
    assert len(regulator.entries(0)["entries"]) == size
    assert regulator.inclusion_proof(base + 2, size)["tree_size"] == size
    assert regulator.consistency_proof(base + 2, size)["from"] == base + 2


def test_the_client_manages_orgs_and_keys(connect: Connect) -> None:
    admin = connect(ADMIN_TOKEN)
    created = admin.create_org({"id": "fz-dealer", "name": "福州经销商", "roles": ["dealer"]})
    assert created["org"]["roles"] == ["dealer"]
    key = admin.add_key("fz-dealer", "fz-dealer/1", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    assert key["revoked_at"] is None
    assert admin.revoke_key("fz-dealer", "fz-dealer/1")["revoked_at"] is not None


def test_batches_never_part_a_swap(connect: Connect, parties: dict[Role, Party], base: int) -> None:
    """Batches of one event each, but a swap's two halves go in one request: a lone half would be refused."""
    maker, swap = parties[Role.MANUFACTURER], parties[Role.SWAP_OPERATOR]
    sign_maker, sign_swap = signer_of(maker), signer_of(swap)
    a, b = code(1), code(2)
    setup = [sign_maker.sign(p, "produced", PRODUCED, at=T0) for p in (a, b)]
    setup += [sign_maker.sign(p, "shipped", {"to": swap.id}, at=T0) for p in (a, b)]
    connect(maker.token).post_batch(setup)
    as_swap = connect(swap.token)
    as_swap.post_batch([sign_swap.sign(p, "received", {"from": maker.id}, at=T0) for p in (a, b)])
    as_swap.post_event(sign_swap.sign(a, "installed", {"vin": VIN}, at=T0))
    events = [
        sign_swap.sign(a, "serviced", {"description": "checked before the swap"}, at=T0),
        sign_swap.sign(a, "swapped", {"direction": "out", "vin": VIN, "partner": b}, at=T0),
        sign_swap.sign(b, "swapped", {"direction": "in", "vin": VIN, "partner": a}, at=T0),
        sign_swap.sign(b, "serviced", {"description": "checked after the swap"}, at=T0),
    ]
    posted = list(as_swap.post_batches(events, size=1))
    assert [(offset, len(results)) for offset, results in posted] == [(0, 1), (1, 2), (3, 1)]
