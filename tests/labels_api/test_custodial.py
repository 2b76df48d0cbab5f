"""Platform-held keys (DESIGN §3.1): generated on the server, sealed at rest, registered and revocable like
any key, marked platform_held for verifiers, and used by `post_as` through the ordinary append path."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select

from events.errors import AuthorisationError, ConflictError, LifecycleError, NotFoundError
from events.orgs import Role
from ledger.append.outcome import Appended
from ledger.format.bundle import verify_bundle
from ledger.format.claims import parse_claim, verify_signature
from ledger.log import Ledger
from ledger.store import registry
from ledger.store.schema import ORG_KEY
from ledger.usecases import callers, custodial, orgkeys
from ledger.usecases.access import ADMIN, ANONYMOUS, Unauthenticated
from ledger.usecases.bundles import make_bundle
from ledger.usecases.verify import verify_database
from tests.api.parties import Party, public_b64
from tests.api.scenario import code
from tests.labels_api.world import SEALING_KEY, shipped
from tests.support import T0

RECYCLER = Role.RECYCLER
OTHER_SECRET = bytes(range(100, 132))


def key_row(ledger: Ledger, key_id: str) -> dict[str, object]:
    with ledger.engine.connect() as conn:
        row = conn.execute(select(ORG_KEY).where(ORG_KEY.c.key_id == key_id)).one()
    return dict(row._mapping)


def raw_private(ledger: Ledger, record: registry.KeyRecord, secret: bytes = SEALING_KEY) -> bytes:
    sealed = key_row(ledger, record.key_id)["sealed_private_key"]
    assert isinstance(sealed, bytes)
    key = custodial.unseal(sealed, org_id=record.org, key_id=record.key_id, sealing_key=secret)
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def test_the_private_key_is_not_stored_in_clear(ledger: Ledger, parties: dict[Role, Party]) -> None:
    record = custodial.create_platform_key(ledger, parties[RECYCLER].id, sealing_key=SEALING_KEY)
    assert (record.key_id, record.org, record.platform_held) == ("recycler/platform-1", "recycler", True)
    raw = raw_private(ledger, record)
    assert len(raw) == 32
    row = key_row(ledger, record.key_id)
    stored = b"".join(value if isinstance(value, bytes) else str(value).encode() for value in row.values())
    for form in (raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        assert form not in stored
    assert row["platform_held"] is True and bytes(row["public_key"]) == record.public_key  # type: ignore[arg-type]


def test_a_sealed_key_opens_only_with_its_secret_and_in_its_own_row(ledger: Ledger, parties: dict[Role, Party]) -> None:
    first = custodial.create_platform_key(ledger, parties[RECYCLER].id, sealing_key=SEALING_KEY)
    second = custodial.create_platform_key(ledger, parties[Role.COLLECTOR].id, sealing_key=SEALING_KEY)
    sealed = key_row(ledger, first.key_id)["sealed_private_key"]
    assert isinstance(sealed, bytes)
    with pytest.raises(custodial.SealingError, match="does not open with this server's sealing secret"):
        custodial.unseal(sealed, org_id=first.org, key_id=first.key_id, sealing_key=OTHER_SECRET)
    with pytest.raises(custodial.SealingError, match="a sealed key moved between rows"):
        custodial.unseal(sealed, org_id=second.org, key_id=second.key_id, sealing_key=SEALING_KEY)
    with pytest.raises(custodial.SealingError, match="not in a known format"):
        custodial.unseal(b"\x02" + sealed[1:], org_id=first.org, key_id=first.key_id, sealing_key=SEALING_KEY)


def test_posting_with_the_wrong_secret_fails_loudly_and_records_nothing(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]
) -> None:
    pack = shipped(client, parties, 1, RECYCLER)
    custodial.create_platform_key(ledger, parties[RECYCLER].id, sealing_key=SEALING_KEY)
    size = ledger.size()
    with pytest.raises(custodial.SealingError):
        custodial.post_as(
            ledger, "recycler", pack=pack, type="received", data={"from": "manufacturer"}, sealing_key=OTHER_SECRET
        )
    assert ledger.size() == size


def test_a_short_secret_is_refused(ledger: Ledger, parties: dict[Role, Party]) -> None:
    with pytest.raises(ValueError, match="at least 32 bytes, found 16"):
        custodial.create_platform_key(ledger, parties[RECYCLER].id, sealing_key=b"0123456789abcdef")


def test_post_as_signs_with_the_platform_key_and_appends_a_verifiable_entry(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]
) -> None:
    pack = shipped(client, parties, 1, RECYCLER)
    record = custodial.create_platform_key(ledger, "recycler", sealing_key=SEALING_KEY)
    appended = custodial.post_as(
        ledger, "recycler", pack=pack, type="received", data={"from": "manufacturer"}, sealing_key=SEALING_KEY
    )
    entry = appended.entry
    assert appended.created and entry["seq"] == 2
    assert (entry["claim"]["actor"], entry["claim"]["key"], entry["claim"]["type"]) == (
        "recycler", record.key_id, "received",
    )  # fmt: skip
    verify_signature(parse_claim(entry["claim"], entry["sig"]), record.public())
    state = ledger.pack_state(pack)
    assert state is not None and (state.status, state.custodian) == ("in_stock", "recycler")
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []


def test_post_as_goes_through_the_rules_like_any_claim(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]
) -> None:
    pack = shipped(client, parties, 1, Role.COLLECTOR)  # shipped to the collector, not to the recycler
    for org in ("recycler", "manufacturer"):
        custodial.create_platform_key(ledger, org, sealing_key=SEALING_KEY)
    head = ledger.pack_entries(pack)[-1][1]
    with pytest.raises(AuthorisationError, match="may not post 'received'"):
        custodial.post_as(
            ledger, "recycler", pack=pack, type="received", data={"from": "manufacturer"}, sealing_key=SEALING_KEY
        )
    with pytest.raises(LifecycleError, match="in_transit"):
        custodial.post_as(
            ledger, "manufacturer", pack=pack, type="shipped", data={"to": "recycler"}, sealing_key=SEALING_KEY
        )
    with pytest.raises(ConflictError, match="stale prev"):
        custodial.post_as(
            ledger,
            "manufacturer",
            pack=pack,
            type="incident",
            prev="0" * 64,
            sealing_key=SEALING_KEY,
            data={"kind": "other", "severity": "low", "description": "dropped"},
        )
    assert ledger.pack_entries(pack)[-1][1] == head
    appended = custodial.post_as(
        ledger,
        "manufacturer",
        pack=pack,
        type="incident",
        prev=head,
        sealing_key=SEALING_KEY,
        data={"kind": "other", "severity": "low", "description": "dropped"},
    )
    assert appended.entry["prev"] == head


def test_a_revoked_platform_key_cannot_post(client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]) -> None:
    pack = shipped(client, parties, 1, RECYCLER)
    record = custodial.create_platform_key(ledger, "recycler", sealing_key=SEALING_KEY)
    revoked = orgkeys.revoke_key(ledger, ADMIN, "recycler", record.key_id)
    assert revoked.revoked_at is not None and revoked.platform_held
    size = ledger.size()
    with pytest.raises(AuthorisationError, match="every platform-held key of 'recycler' is revoked") as refused:
        custodial.post_as(
            ledger, "recycler", pack=pack, type="received", data={"from": "manufacturer"}, sealing_key=SEALING_KEY
        )
    assert refused.value.code == "key_revoked"
    assert ledger.size() == size


def test_rotation_signs_with_the_newest_valid_key(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]
) -> None:
    pack = shipped(client, parties, 1, RECYCLER)
    old = custodial.create_platform_key(ledger, "recycler", sealing_key=SEALING_KEY)
    new = custodial.create_platform_key(ledger, "recycler", sealing_key=SEALING_KEY)
    assert new.key_id == "recycler/platform-2"
    orgkeys.revoke_key(ledger, ADMIN, "recycler", old.key_id)
    appended = custodial.post_as(
        ledger, "recycler", pack=pack, type="received", data={"from": "manufacturer"}, sealing_key=SEALING_KEY
    )
    assert appended.entry["claim"]["key"] == new.key_id


def test_an_org_without_a_platform_key_and_an_unknown_org(ledger: Ledger, parties: dict[Role, Party]) -> None:
    with pytest.raises(AuthorisationError, match="'recycler' has no platform-held key") as refused:
        custodial.post_as(ledger, "recycler", pack=code(1), type="received", data={}, sealing_key=SEALING_KEY)
    assert refused.value.code == "no_platform_key"
    with pytest.raises(NotFoundError, match="unknown organisation 'nobody'"):
        custodial.post_as(ledger, "nobody", pack=code(1), type="received", data={}, sealing_key=SEALING_KEY)
    with pytest.raises(NotFoundError, match="unknown organisation 'nobody'"):
        custodial.create_platform_key(ledger, "nobody", sealing_key=SEALING_KEY)


def test_the_bundle_marks_the_key_platform_held(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]
) -> None:
    pack = shipped(client, parties, 1, RECYCLER)
    record = custodial.create_platform_key(ledger, "recycler", sealing_key=SEALING_KEY)
    custodial.post_as(
        ledger, "recycler", pack=pack, type="received", data={"from": "manufacturer"}, sealing_key=SEALING_KEY
    )
    response = client.get(f"/v1/packs/{pack}/bundle", headers=parties[RECYCLER].auth)
    assert response.status_code == 200, response.text
    bundle = response.json()
    held = {key["key_id"]: key["platform_held"] for key in bundle["keys"]}
    assert held == {"manufacturer/1": False, record.key_id: True}
    assert verify_bundle(bundle, ledger.signer.verifier_key).entries == 3
    assert make_bundle(ledger, pack)["keys"] == bundle["keys"]
    listed = orgkeys.list_keys(ledger, ADMIN, "recycler")
    assert {key.key_id: key.platform_held for key in listed} == {"recycler/1": False, record.key_id: True}


def test_the_sealing_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "sealing.key"
    secret = custodial.load_or_create_sealing_key(path)
    assert len(secret) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert custodial.load_or_create_sealing_key(path) == secret
    path.write_text("not hex\n")
    with pytest.raises(ValueError, match="must hold the sealing secret as hex"):
        custodial.load_or_create_sealing_key(path)


def test_post_for_signs_only_for_the_calling_organisation(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]
) -> None:
    pack = shipped(client, parties, 1, RECYCLER)
    custodial.create_platform_key(ledger, "recycler", sealing_key=SEALING_KEY)
    with pytest.raises(Unauthenticated):
        custodial.post_for(
            ledger, ANONYMOUS, pack=pack, type="received", data={"from": "manufacturer"}, sealing_key=SEALING_KEY
        )
    with pytest.raises(AuthorisationError, match="not the admin token") as refused:
        custodial.post_for(
            ledger, ADMIN, pack=pack, type="received", data={"from": "manufacturer"}, sealing_key=SEALING_KEY
        )
    assert refused.value.code == "not_an_organisation"
    recycler = callers.authenticate(ledger, parties[RECYCLER].token, admin_token=None)
    appended = custodial.post_for(
        ledger, recycler, pack=pack, type="received", data={"from": "manufacturer"}, sealing_key=SEALING_KEY
    )
    assert appended.entry["claim"]["actor"] == "recycler"


def test_a_resubmitted_form_is_an_idempotent_retry(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]
) -> None:
    pack = shipped(client, parties, 1, RECYCLER)
    custodial.create_platform_key(ledger, "recycler", sealing_key=SEALING_KEY)
    claim_id = str(uuid4())

    def submit() -> Appended:
        return custodial.post_as(
            ledger, "recycler", pack=pack, type="received", data={"from": "manufacturer"}, at=T0,
            claim_id=claim_id, sealing_key=SEALING_KEY,
        )  # fmt: skip

    first, again = submit(), submit()
    assert (first.created, again.created) == (True, False)
    assert again.hash == first.hash and ledger.size() == first.index + 1


def test_platform_key_ids_skip_ids_taken_by_any_organisation(ledger: Ledger, parties: dict[Role, Party]) -> None:
    squatter = public_b64(Ed25519PrivateKey.generate())
    # a key id starts with its organisation's id (issue 11 item 10): only the recycler itself can take it
    orgkeys.add_key(ledger, ADMIN, "recycler", key_id="recycler/platform-1", public_key=squatter)
    record = custodial.create_platform_key(ledger, "recycler", sealing_key=SEALING_KEY)
    assert record.key_id == "recycler/platform-2"
