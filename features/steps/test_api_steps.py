"""Steps of features/api.feature: everything over HTTP with the Python client (api/client.py)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.from_thread
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pytest_bdd import given, parsers, scenarios, then, when

from api.app import create_app
from api.client import ApiError, PacktraceClient, Signer
from api.settings import Settings
from ledger.format.bundle import verify_bundle
from ledger.log import Ledger
from tests.api.inprocess import InProcessTransport
from tests.support import PRODUCED, code

scenarios("api.feature")

ADMIN_TOKEN = "admin-token-for-the-scenarios-0123456789"
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class Platform:
    def __init__(self, transport: InProcessTransport, ledger: Ledger) -> None:
        self.transport = transport
        self.ledger = ledger
        self.tokens: dict[str, str] = {}
        self.signers: dict[str, Signer] = {}
        self.seen: dict[str, Any] = {}

    def client(self, org: str | None = None, *, admin: bool = False) -> PacktraceClient:
        token = ADMIN_TOKEN if admin else (self.tokens[org] if org else None)
        return PacktraceClient("http://testserver", token=token, transport=self.transport)

    def add_later_key(self, org: str, key_id: str) -> Signer:
        """`org` registers a later key by a key_added claim signed with its current key, posted to
        POST /v1/registry with its token; the new key signs from then on."""
        private = Ed25519PrivateKey.generate()
        public = base64.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
        with self.client(org) as own:
            own.post_registry(self.signers[org].key_added(key_id, public, at=AT))
        self.signers[org] = Signer(org, key_id, private)
        return self.signers[org]


@pytest.fixture
def platform(ledger: Ledger, tmp_path: Path) -> Iterator[Platform]:
    settings = Settings(database_url="sqlite:///unused.db", log_key_file=tmp_path / "log.key", admin_token=ADMIN_TOKEN)
    app = create_app(ledger, settings=settings)
    with anyio.from_thread.start_blocking_portal() as portal:
        yield Platform(InProcessTransport(app, portal), ledger)


@given("the platform runs with an administrator token")
def running(platform: Platform) -> None:
    with platform.client() as anyone:
        assert anyone.log_key()["verifier_key"]


@given(
    parsers.parse(
        'the administrator has registered "{maker}" as a battery maker owning code "{prefix}", '
        '"{automaker}" as an automaker and "{regulator}" as the regulator, each with its own signing key'
    )
)
def registered(platform: Platform, maker: str, prefix: str, automaker: str, regulator: str) -> None:
    orgs = [
        {"id": maker, "name": "宁德时代", "roles": ["manufacturer"], "manufacturer_codes": [prefix]},
        {"id": automaker, "name": "比亚迪汽车", "roles": ["automaker"]},
        {"id": regulator, "name": "福建省工信厅", "roles": ["regulator"]},
    ]
    with platform.client(admin=True) as admin:
        for org in orgs:
            platform.tokens[org["id"]] = admin.create_org(org)["token"]
    for org_id in platform.tokens:
        private = Ed25519PrivateKey.generate()
        public = base64.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
        with platform.client(org_id) as own:
            own.add_key(org_id, f"{org_id}/2026-1", public)
        platform.signers[org_id] = Signer(org_id, f"{org_id}/2026-1", private)


@when(parsers.parse('"{maker}" posts one batch registering packs {first:d} to {last:d}'))
def post_batch(platform: Platform, maker: str, first: int, last: int) -> None:
    events = [platform.signers[maker].sign(code(n), "produced", PRODUCED, at=AT) for n in range(first, last + 1)]
    platform.seen["base"] = platform.ledger.size()  # the registry entries of the organisations and keys
    with platform.client(maker) as api:
        platform.seen["results"] = api.post_batch(events)
    platform.seen["codes"] = [code(n) for n in range(first, last + 1)]


@then(parsers.parse("the batch is recorded as {count:d} entries in request order"))
def recorded_in_order(platform: Platform, count: int) -> None:
    results = platform.seen["results"]
    assert len(results) == count
    assert [r["entry"]["claim"]["pack"] for r in results] == platform.seen["codes"]
    base = platform.seen["base"]
    assert base > 0 and [r["index"] for r in results] == list(range(base, base + count))


@then(parsers.parse("anyone can read pack {n:d}'s maker, chemistry and production date, but not who holds it"))
def public_identity(platform: Platform, n: int) -> None:
    with platform.client() as anyone:
        view = anyone.pack(code(n))
    assert (view["code"], view["chemistry"], view["production_date"]) == (code(n), "LFP", "2026-01-15")
    assert view["manufacturer"] == "catl" and view["tier"] == "public"
    assert view["custodian"] is None and view["vin"] is None


@given(parsers.parse('"{maker}" has registered pack {n:d} and shipped it to "{receiver}"'))
def registered_and_shipped(platform: Platform, maker: str, n: int, receiver: str) -> None:
    signer = platform.signers[maker]
    with platform.client(maker) as api:
        api.post_event(signer.sign(code(n), "produced", PRODUCED, at=AT))
        api.post_event(signer.sign(code(n), "shipped", {"to": receiver}, at=AT))


@when(parsers.parse('"{org}" receives pack {n:d} and installs it in vehicle "{vin}"'))
def receives_and_installs(platform: Platform, org: str, n: int, vin: str) -> None:
    signer = platform.signers[org]
    with platform.client(org) as api:
        api.post_event(signer.sign(code(n), "received", {"from": "catl"}, at=AT))
        api.post_event(signer.sign(code(n), "installed", {"vin": vin}, at=AT))


@then(parsers.parse('the regulator sees pack {n:d} "{status}" in vehicle "{vin}" in the custody of "{org}"'))
def regulator_view(platform: Platform, n: int, status: str, vin: str, org: str) -> None:
    with platform.client("fj-miit") as regulator:
        view = regulator.pack(code(n))
    assert (view["status"], view["vin"], view["custodian"], view["tier"]) == (status, vin, org, "authority")


@then(parsers.parse("the public view of pack {n:d} names no vehicle"))
def public_without_vin(platform: Platform, n: int) -> None:
    with platform.client() as anyone:
        view = anyone.pack(code(n))
    assert view["vin"] is None and view["custodian"] is None and view["status"] == "in_use"


@when(parsers.parse("the regulator fetches the history and the bundle of pack {n:d}"))
def fetch_history_and_bundle(platform: Platform, n: int) -> None:
    with platform.client("fj-miit") as regulator:
        platform.seen["history"] = regulator.pack_events(code(n))
        platform.seen["bundle"] = regulator.bundle(code(n))


@then(parsers.parse('the history lists "{first}" then "{second}", each with its entry hash'))
def history_lists(platform: Platform, first: str, second: str) -> None:
    events = platform.seen["history"]["events"]
    assert [e["type"] for e in events] == [first, second]
    assert all(len(e["hash"]) == 64 for e in events)
    assert events[1]["entry"]["prev"] == events[0]["hash"]


@then("the bundle verifies offline with the key published at /v1/log/key")
def bundle_verifies(platform: Platform) -> None:
    with platform.client() as anyone:
        vkey = anyone.log_key()["verifier_key"]
    summary = verify_bundle(platform.seen["bundle"], vkey)
    assert summary.entries == 2


@when(parsers.parse('"{org}" rotates its API token'))
def rotates_token(platform: Platform, org: str) -> None:
    with platform.client(org) as own:
        platform.seen["old_token"] = platform.tokens[org]
        platform.tokens[org] = own.rotate_token(org)
    assert platform.tokens[org] != platform.seen["old_token"]


@then(parsers.parse('"{org}" registers another signing key with the new token and a claim signed by its current key'))
def registers_with_new_token(platform: Platform, org: str) -> None:
    platform.add_later_key(org, f"{org}/2026-2")
    with platform.client(org) as own:
        keys = {key["key_id"]: key for key in own.list_keys(org)}
    assert sorted(keys) == [f"{org}/2026-1", f"{org}/2026-2"]
    assert keys[f"{org}/2026-2"]["revoked_at"] is None


@then(parsers.parse('the new token of "{org}" alone may not register a signing key'))
def token_alone_adds_no_key(platform: Platform, org: str) -> None:
    """A token authenticates (403, not 401) but adds no later key: that takes a claim signed by a current key
    of the organisation (issue 13)."""
    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with platform.client(org) as own, pytest.raises(ApiError) as refused:
        own.add_key(org, f"{org}/2026-9", base64.b64encode(public).decode())
    assert (refused.value.status, refused.value.code) == (403, "registry_needs_signature")
    with platform.client(org) as own:
        assert f"{org}/2026-9" not in {key["key_id"] for key in own.list_keys(org)}


@then(parsers.parse('the old token of "{org}" is refused as "{code}"'))
def old_token_refused(platform: Platform, org: str, code: str) -> None:
    """The rotation was served by this process, which forgets the old token at once (another server
    process would within TOKEN_TTL_S: tests/api/test_hardening_tokens.py)."""
    stale = PacktraceClient("http://testserver", token=platform.seen["old_token"], transport=platform.transport)
    with stale, pytest.raises(ApiError) as refused:
        public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        stale.add_key(org, f"{org}/2026-3", base64.b64encode(public).decode())
    assert (refused.value.status, refused.value.code) == (401, code)


@then(parsers.parse('"{other}" may not rotate the token of "{org}"'))
def other_may_not_rotate(platform: Platform, other: str, org: str) -> None:
    with platform.client(other) as api, pytest.raises(ApiError) as refused:
        api.rotate_token(org)
    assert refused.value.status == 403


# -- a long history, page by page; the bundle below the authority tier (issue 11 items 7 and 9) ----------


@given(
    parsers.parse(
        '"{org}" has received pack {n:d}, installed it in vehicle "{vin}" and reported {count:d} incidents on it'
    )
)
def received_installed_incidents(platform: Platform, org: str, n: int, vin: str, count: int) -> None:
    signer = platform.signers[org]
    incident = {"kind": "other", "severity": "low", "description": "inspected at the depot"}
    events = [
        signer.sign(code(n), "received", {"from": "catl"}, at=AT),
        signer.sign(code(n), "installed", {"vin": vin}, at=AT),
    ]
    events += [signer.sign(code(n), "incident", incident, at=AT) for _ in range(count)]
    with platform.client(org) as api:
        api.post_batch(events)
    platform.seen["vin"] = vin


@when(parsers.parse('"{org}" reads the history of pack {n:d} page by page, {limit:d} entries a page'))
def reads_history_pages(platform: Platform, org: str, n: int, limit: int) -> None:
    with platform.client(org) as api:
        platform.seen["pages"] = list(api.pack_event_pages(code(n), limit=limit))


@then(parsers.parse("it reads {count:d} entries in {pages:d} pages, each once and in chain order"))
def read_each_once(platform: Platform, count: int, pages: int) -> None:
    read = platform.seen["pages"]
    events = [e for page in read for e in page["events"]]
    assert (len(read), [e["seq"] for e in events]) == (pages, list(range(count)))
    assert [e["prev"] for e in events[1:]] == [e["hash"] for e in events[:-1]]
    assert all(page["total"] == count for page in read) and read[-1]["next"] is None


@then(
    parsers.parse(
        'the bundle "{org}" fetches of pack {n:d} verifies offline, discloses only its own {own:d} entries '
        "and names no vehicle"
    )
)
def lower_tier_bundle(platform: Platform, org: str, n: int, own: int) -> None:
    with platform.client(org) as api:
        bundle = api.bundle(code(n))
        vkey = api.log_key()["verifier_key"]
    summary = verify_bundle(bundle, vkey)
    # its own entries disclosed; the log's head commitment proves the chain's length, withheld entries included
    assert (summary.disclosed, summary.proven_through) == (own, summary.entries - 1)
    assert summary.complete_through == summary.entries - 1
    assert summary.withheld == summary.entries - own
    assert platform.seen["vin"] not in str(bundle)


@when(parsers.parse('"{org}" revokes its signing key "{old}" after registering "{new}"'))
def registers_then_revokes(platform: Platform, org: str, old: str, new: str) -> None:
    """Both by claims signed with the organisation's keys, posted to POST /v1/registry: the new key signed
    by the old, the old revoked by the new (a token alone does neither since issue 13)."""
    assert platform.signers[org].key_id == old
    platform.add_later_key(org, new)
    with platform.client(org) as own:
        own.post_registry(platform.signers[org].key_revoked(old, at=AT))


@then(
    parsers.parse(
        '"{reader}" reads the keys of "{org}": "{old}" revoked and "{new}" in force, neither held by the platform'
    )
)
def reads_keys(platform: Platform, reader: str, org: str, old: str, new: str) -> None:
    with platform.client(reader) as api:
        keys = {key["key_id"]: key for key in api.list_keys(org)}
    assert sorted(keys) == [old, new]
    assert keys[old]["revoked_at"] is not None and keys[new]["revoked_at"] is None
    assert not keys[old]["platform_held"] and not keys[new]["platform_held"]
    assert {key["org"] for key in keys.values()} == {org}
