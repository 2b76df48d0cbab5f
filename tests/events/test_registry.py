"""events/registry.py, pure: who may authorise which registry change (AUTHORITY, as data), and the registry
in force at each position (keys by the indices of the entries that added and revoked them, migrated keys
by their time windows, the 规范条件 by effective dates)."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from events.errors import AuthorisationError, ConflictError, InputError
from events.orgs import Org, Role
from events.registry import (
    KeyState,
    OrgRecord,
    Registry,
    WhitelistChange,
    new_registry_claim,
    parse_registry_claim,
    registered_data,
)

T = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in China


def raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_data(key_id: str, private: Ed25519PrivateKey) -> dict[str, object]:
    return {"key_id": key_id, "public_key": base64.b64encode(raw(private)).decode(), "platform_held": False}


def always(_: bytes) -> bool:
    return True


def never(_: bytes) -> bool:
    return False


@pytest.fixture
def registry() -> Registry:
    """catl (manufacturer) with key catl/1 added at index 1; fj-miit (regulator) with fj-miit/1 at 3."""
    state = Registry()
    orgs = [Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"})),
            Org("fj-miit", "福建省工信厅", frozenset({Role.REGULATOR}))]  # fmt: skip
    index = 0
    for org in orgs:
        state.apply(index, T, claim(f"org:{org.id}", "org_registered", "admin", registered_data(org)))
        state.apply(index + 1, T, claim(f"org:{org.id}", "key_added", "admin", key_data(f"{org.id}/1", KEY)))
        index += 2
    return state


KEY = Ed25519PrivateKey.generate()


def claim(subject: str, type: str, by: str, data: dict[str, object], **who: str) -> dict[str, object]:
    return new_registry_claim(subject=subject, type=type, by=by, data=data, at=T, **who)


def test_a_later_key_on_the_organisations_token_alone_is_not_authorised(registry: Registry) -> None:
    later = claim("org:catl", "key_added", "token", key_data("catl/2", Ed25519PrivateKey.generate()), actor="catl")
    with pytest.raises(AuthorisationError) as refused:
        registry.apply(4, T, later)
    assert refused.value.code == "registry_not_authorised"
    assert refused.value.message == (
        "key_added (a later key) of org:catl may not be authorised by own token: only by admin, migration, own key"
        "（仅限：平台管理员、数据迁移、本企业现行密钥签名）"
    )
    assert "catl/2" not in registry.keys


def test_a_later_key_signed_by_a_current_key_is_added_from_its_position(registry: Registry) -> None:
    later = claim("org:catl", "key_added", "signature", key_data("catl/2", Ed25519PrivateKey.generate()),
                  actor="catl", key="catl/1")  # fmt: skip
    assert registry.apply(4, T, later, always) == "catl"
    assert registry.key_refusal("catl/2", "catl", 4, T) == (
        "key_not_yet_valid", "key 'catl/2' was not yet valid at entry 4")  # fmt: skip
    assert registry.key_refusal("catl/2", "catl", 5, T) is None


def test_a_signature_that_does_not_verify_authorises_nothing(registry: Registry) -> None:
    revoke = claim("org:catl", "key_revoked", "signature", {"key_id": "catl/1"}, actor="catl", key="catl/1")
    with pytest.raises(AuthorisationError, match="the signature does not verify with key 'catl/1'"):
        registry.apply(4, T, revoke, never)
    assert registry.keys["catl/1"].revoked is None


def test_a_regulator_revokes_another_organisations_key_and_changes_the_whitelist_but_not_its_roles(
    registry: Registry,
) -> None:
    by_regulator = {"actor": "fj-miit", "key": "fj-miit/1"}
    registry.apply(4, T, claim("org:catl", "key_revoked", "signature", {"key_id": "catl/1"}, **by_regulator), always)
    assert registry.keys["catl/1"].revoked == 4
    whitelist = {"whitelist": {"listed": True, "effective": "2026-06-01", "reference": "工信部公告2026年第1号"}}
    registry.apply(5, T, claim("org:catl", "org_changed", "signature", whitelist, **by_regulator), always)
    with pytest.raises(AuthorisationError, match="may not be authorised by regulator key: only by admin"):
        registry.apply(6, T, claim("org:catl", "org_changed", "signature", {"roles": ["recycler"]}, **by_regulator),
                       always)  # fmt: skip


def test_another_organisation_cannot_sign_a_change_of_catl(registry: Registry) -> None:
    registry.apply(4, T, claim("org:byd", "org_registered", "admin",
                               registered_data(Org("byd", "比亚迪", frozenset({Role.AUTOMAKER})))))  # fmt: skip
    registry.apply(5, T, claim("org:byd", "key_added", "admin", key_data("byd/1", KEY)))
    revoke = claim("org:catl", "key_revoked", "signature", {"key_id": "catl/1"}, actor="byd", key="byd/1")
    with pytest.raises(AuthorisationError, match="'byd' signs a change of org:catl: only the organisation itself"):
        registry.apply(6, T, revoke, always)


def test_a_revoked_key_signs_up_to_its_revocation_and_nothing_after(registry: Registry) -> None:
    registry.apply(9, T, claim("org:catl", "key_revoked", "admin", {"key_id": "catl/1"}))
    assert registry.key_refusal("catl/1", "catl", 8, T + timedelta(days=1)) is None
    assert registry.key_refusal("catl/1", "catl", 10, T - timedelta(days=1)) == (
        "key_revoked", "key 'catl/1' was revoked before entry 10")  # fmt: skip
    with pytest.raises(ConflictError, match="key 'catl/1' is already revoked"):
        registry.apply(11, T, claim("org:catl", "key_revoked", "admin", {"key_id": "catl/1"}))


def test_a_key_signs_only_for_its_own_organisation(registry: Registry) -> None:
    assert registry.key_refusal("catl/1", "fj-miit", 9, T) == (
        "key_org_mismatch", "key 'catl/1' belongs to 'catl', not to the claim's actor 'fj-miit'")  # fmt: skip
    assert registry.key_refusal("catl/9", "catl", 9, T) == (
        "unknown_key", "signed by key 'catl/9', which the registry does not show before entry 9")  # fmt: skip


def test_a_migrated_key_keeps_its_time_window_at_every_position() -> None:
    key = KeyState("catl/old", "catl", raw(KEY), False, valid_from=T, added=50, revoked_at=T + timedelta(days=2),
                   migrated=True)  # fmt: skip
    assert key.refusal(0, T + timedelta(days=1)) is None  # an entry recorded before the migration's entry
    assert key.refusal(0, T - timedelta(seconds=1)) == "key_not_yet_valid"
    assert key.refusal(60, T + timedelta(days=2)) == "key_revoked"


def test_the_whitelist_status_is_the_latest_change_in_force_on_the_china_date() -> None:
    record = OrgRecord("gem", "格林美", frozenset({Role.RECYCLER}), whitelisted=True, whitelist=(
        WhitelistChange(False, date(2026, 7, 1), "2026年第30号", 7),
        WhitelistChange(True, date(2026, 9, 1), "2026年第45号", 9),
    ))  # fmt: skip
    assert record.listed_on(date(2026, 6, 30)) is True
    assert record.listed_on(date(2026, 7, 1)) is False
    assert record.listed_on(date(2026, 9, 1)) is True
    # 2026-06-30T16:00Z is already 1 July in China
    assert record.at(datetime(2026, 6, 30, 16, 0, tzinfo=UTC)).whitelisted is False
    assert record.at(datetime(2026, 6, 30, 15, 59, tzinfo=UTC)).whitelisted is True


def test_a_manufacturer_code_belongs_to_one_organisation(registry: Registry) -> None:
    with pytest.raises(ConflictError, match="manufacturer code already owned by another organisation: '001' by 'catl'"):
        registry.apply(4, T, claim("org:fj-miit", "org_changed", "admin", {"manufacturer_codes": ["001"]}))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"by": "admin", "actor": "catl"}, "a registry claim authorised by admin has members"),
        ({"by": "nobody"}, "'by' must be one of signature, admin, token, migration, log, not 'nobody'"),
        ({"type": "log_key", "data": {"verifier_key": "x"}}, "log_key is about the log: its subject is 'log'"),
        ({"subject": "catl"}, "subject 'catl' must be 'org:' followed by an organisation id"),
        (
            {"data": {"key_id": "catl/2", "public_key": "AAAA", "platform_held": False}},
            "public_key must be 32 raw Ed25519 bytes, found 3",
        ),
        (
            {"data": {**key_data("catl/2", KEY), "valid_from": "2026-06-01T00:00:00.000000Z"}},
            "only the migration states a key's valid_from and revoked_at",
        ),
        ({"data": {**key_data("byd/2", KEY)}}, "key_id 'byd/2' must start with its organisation's id and '/'"),
        ({"at": "2026-06-01T10:00:00.5Z"}, "'at' an RFC 3339 UTC time in whole seconds ending in Z"),
    ],
)
def test_malformed_registry_claims_are_refused_with_what_is_wrong(change: dict[str, object], message: str) -> None:
    base = claim("org:catl", "key_added", "admin", key_data("catl/2", KEY))
    with pytest.raises(InputError) as refused:
        parse_registry_claim({**base, **change})
    assert message in refused.value.message


def test_whitelist_changes_name_their_effective_date_and_reference() -> None:
    bad = {"whitelist": {"listed": False, "effective": "2026-13-01", "reference": "x"}}
    with pytest.raises(
        InputError, match=re.escape("'whitelist.effective' must be a date YYYY-MM-DD, not '2026-13-01'")
    ):
        parse_registry_claim(claim("org:gem", "org_changed", "admin", bad))
    blank = {"whitelist": {"listed": False, "effective": "2026-12-01", "reference": " "}}
    with pytest.raises(InputError, match=re.escape("'whitelist.reference' must name the decision")):
        parse_registry_claim(claim("org:gem", "org_changed", "admin", blank))
