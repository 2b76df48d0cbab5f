"""ledger.format.keys: the one rule for when a key may sign."""

from datetime import UTC, datetime, timedelta

from ledger.format.keys import KeyValidity

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


def test_a_key_signs_from_its_valid_from_inclusive() -> None:
    key = KeyValidity(valid_from=T0, revoked_at=None)
    assert key.refusal(T0 - US) == "key_not_yet_valid"
    assert key.refusal(T0) is None
    assert key.covers(T0 + timedelta(days=3650))


def test_a_revoked_key_signs_until_its_revocation_exclusive() -> None:
    key = KeyValidity(valid_from=T0, revoked_at=T0 + timedelta(hours=1))
    assert key.refusal(T0 + timedelta(hours=1) - US) is None
    assert key.refusal(T0 + timedelta(hours=1)) == "key_revoked"
    assert not key.covers(T0 + timedelta(days=1))
