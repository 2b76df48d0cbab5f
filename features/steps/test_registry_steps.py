"""Steps of features/registry.feature: the registry changed over HTTP (api/client.py) on a server on a
local port, checked with the `packtrace` commands a regulator and an organisation run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytest_bdd import given, parsers, scenarios, then, when
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.client import ApiError, PacktraceClient, Signer
from api.settings import Settings
from events.timestamps import china_date
from ledger.log import Ledger
from tests.api.served import served
from tests.support import PRODUCED, Actor, code, public_b64

scenarios("registry.feature")

pytestmark = pytest.mark.served  # the CLI against a server on a real socket

ADMIN_TOKEN = "admin-token-for-the-registry-scenarios-0123"
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DISMANTLED = {"outputs": [{"kind": "material", "name": "黑粉 black mass", "mass_kg": 150.0}]}
RECYCLED = {
    "feed_mass_kg": 380.0,
    "content_kg": {"Li": 5.2, "Fe": 41.0, "Cu": 22.0},
    "recovered_kg": {"Li": 4.9, "Fe": 40.5, "Cu": 21.7},
}


@dataclass
class Platform:
    url: str
    ledger: Ledger
    actors: dict[str, Actor]
    database_url: str
    tmp: Path
    seen: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)

    def client(self, org: str | None = None, *, admin: bool = False) -> PacktraceClient:
        token = ADMIN_TOKEN if admin else (self.actors[org].token if org else None)
        return PacktraceClient(self.url, token=token)

    def post(self, org: str, pack: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
        claim, sig = self.actors[org].claim(pack, type_, data)
        with self.client(org) as api:
            return api.post_event({"claim": claim, "sig": sig})


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def platform(ledger: Ledger, actors: dict[str, Actor], database_url: str, tmp_path: Path) -> Iterator[Platform]:
    settings = Settings(database_url=database_url, log_key_file=tmp_path / "log.key", admin_token=ADMIN_TOKEN)
    with served(create_app(ledger, settings=settings)) as url:
        yield Platform(url, ledger, actors, database_url, tmp_path)


@given("the platform serves them over HTTP with an administrator token")
def _serving(platform: Platform) -> None:
    with platform.client() as anyone:
        assert anyone.log_key()["verifier_key"] == platform.ledger.signer.verifier_key


# -- the 规范条件 whitelist --------------------------------------------------------------------------------


@given(parsers.parse('"{recycler}" has dismantled and recycled pack {first:d} and dismantled pack {second:d}'))
def _recycled(platform: Platform, recycler: str, first: int, second: int) -> None:
    for n in (first, second):
        platform.post("catl", code(n), "produced", PRODUCED)
        platform.post("catl", code(n), "shipped", {"to": recycler})
        platform.post(recycler, code(n), "received", {"from": "catl"})
        platform.post(recycler, code(n), "retired", {"reason": "end_of_life"})
        platform.post(recycler, code(n), "dismantled", DISMANTLED)
    platform.seen["recycled"] = platform.post(recycler, code(first), "recycled", RECYCLED)


@when(parsers.parse('the administrator takes "{org}" off the whitelist from today, citing "{reference}"'))
def _off_the_whitelist(platform: Platform, org: str, reference: str) -> None:
    today = china_date(platform.ledger.clock())  # the day the ledger records entries on
    with platform.client(admin=True) as admin:
        view = admin.update_org(org, whitelisted=False, effective=today, reference=reference)
        assert view["whitelisted"] is False
        change = admin.org_history(org)[-1]["entry"]["claim"]
    assert (change["type"], change["by"]) == ("org_changed", "admin")
    assert change["data"] == {"whitelist": {"listed": False, "effective": today.isoformat(), "reference": reference}}


@then(parsers.parse('"{org}" may no longer recycle pack {n:d}: it is refused with {status:d} "{error}"'))
def _refused_recycling(platform: Platform, org: str, n: int, status: int, error: str) -> None:
    with pytest.raises(ApiError) as refused:
        platform.post(org, code(n), "recycled", RECYCLED)
    assert (refused.value.status, refused.value.code) == (status, error)
    assert refused.value.detail.endswith(f"{org!r} is not on the 规范条件 whitelist")


@then(parsers.parse("packtrace verify passes on the whole database, the recycling of pack {n:d} included"))
def _verify_passes(platform: Platform, n: int) -> None:
    key = platform.ledger.signer.verifier_key
    exit_code, out, err = run("verify", "--log-key", key, "--database-url", platform.database_url)
    assert exit_code == 0, err
    assert out.startswith(f"OK: {platform.ledger.size()} entries, 2 packs, ")
    with platform.client("fj-miit") as regulator:
        last = regulator.pack_events(code(n))["events"][-1]
    assert (last["type"], last["hash"]) == ("recycled", platform.seen["recycled"]["hash"])


# -- keys: the first by token, later ones signed ---------------------------------------------------------


@when(parsers.parse('"{org}" registers a second key "{key_id}" with its API token alone'))
def _token_alone(platform: Platform, org: str, key_id: str) -> None:
    platform.keys[key_id] = Ed25519PrivateKey.generate()
    with platform.client(org) as own, pytest.raises(ApiError) as refused:
        own.add_key(org, key_id, public_b64(platform.keys[key_id]))
    platform.seen["refused"] = refused.value


@then(parsers.parse('it is refused with {status:d} "{error}", pointing to POST /v1/registry'))
def _refused_pointing(platform: Platform, status: int, error: str) -> None:
    refused: ApiError = platform.seen["refused"]
    assert (refused.status, refused.code) == (status, error)
    assert "sign a key_added claim with a current key of 'catl' and post it to POST /v1/registry" in refused.detail


@when(parsers.parse('"{org}" posts a key_added claim for "{key_id}" signed by its current key "{current}"'))
def _signed_key(platform: Platform, org: str, key_id: str, current: str) -> None:
    signer = Signer(org, current, platform.actors[org].private)
    assert platform.actors[org].key_id == current
    with platform.client(org) as own:
        platform.seen["added"] = own.post_registry(signer.key_added(key_id, public_b64(platform.keys[key_id]), at=AT))


@then(parsers.parse('the registry history of "{org}" ends with "{key_id}", authorised by the signature of "{current}"'))
def _history_ends(platform: Platform, org: str, key_id: str, current: str) -> None:
    with platform.client(org) as own:
        last = own.org_history(org)[-1]
    posted = platform.seen["added"]
    assert posted["created"] is True
    assert last == {k: posted[k] for k in ("index", "hash", "entry")}
    claim = last["entry"]["claim"]
    assert (claim["type"], claim["by"], claim["actor"], claim["key"]) == ("key_added", "signature", org, current)
    assert claim["data"]["key_id"] == key_id and last["entry"]["sig"]


@then(parsers.parse('a claim "{org}" signs with "{key_id}" is accepted'))
def _new_key_signs(platform: Platform, org: str, key_id: str) -> None:
    signer = Signer(org, key_id, platform.keys[key_id])
    with platform.client(org) as own:
        result = own.post_event(signer.sign(code(9), "produced", PRODUCED, at=AT))
    assert result["created"] and result["entry"]["claim"]["key"] == key_id


# -- watch-org -------------------------------------------------------------------------------------------


@given(parsers.parse('"{org}" lists its key "{key_id}" in its known-keys file'))
def _known_keys(platform: Platform, org: str, key_id: str) -> None:
    known = platform.tmp / f"{org}-known-keys.txt"
    known.write_text(f"{key_id} {public_b64(platform.actors[org].private)}\n")
    platform.seen["known"] = known


def watch(platform: Platform, org: str) -> tuple[int, str, str]:
    known = str(platform.seen["known"])
    return run("watch-org", org, "--known-keys", known, "--url", platform.url, "--token", platform.actors[org].token)


@given(parsers.parse('watch-org of "{org}" reports every key known'))
def _watch_ok(platform: Platform, org: str) -> None:
    exit_code, out, err = watch(platform, org)
    assert (exit_code, err) == (0, ""), out + err
    assert out.startswith(f"OK: {org}: 1 key in the log, each in ")


@when(parsers.parse('the administrator registers a key "{key_id}" for "{org}"'))
def _admin_adds(platform: Platform, key_id: str, org: str) -> None:
    with platform.client(admin=True) as admin:
        admin.add_key(org, key_id, public_b64(Ed25519PrivateKey.generate()))
        platform.seen["added"] = admin.org_history(org)[-1]


@then(
    parsers.parse('watch-org of "{org}" exits 1 naming "{key_id}", the log entry that added it and the administrator')
)
def _watch_catches(platform: Platform, org: str, key_id: str) -> None:
    exit_code, out, err = watch(platform, org)
    assert exit_code == 1, err
    added = platform.seen["added"]
    public = added["entry"]["claim"]["data"]["public_key"]
    assert out.splitlines() == [
        f"UNEXPECTED KEY {key_id} (public key {public}) added by log entry {added['index']} at "
        f"{added['entry']['recorded_at']}, authorised by the platform administrator's token（平台管理员）",
        f"FAILED: {org}: 1 of 2 keys in the log are not in {platform.seen['known']}（日志中有本企业未知的密钥）",
    ]
