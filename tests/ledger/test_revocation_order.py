"""Issue 11, item 1: a key revocation is ordered with appends. It takes the log head's lock, as an append
does, and takes effect after every entry recorded so far; no entry is recorded after its key's
revocation, whatever the clocks of the processes sharing the database do. Since issue 13 a revocation
(and a key's registration) is itself an entry of the log, recorded at a time strictly after the last
entry's."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.errors import AuthorisationError
from events.timestamps import from_rfc3339
from ledger.append.outcome import Appended
from ledger.log import Ledger
from ledger.store.db import write_connection
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN, Caller
from ledger.usecases.verify import verify_database
from tests.support import PRODUCED, Actor, Clock, code


def _recorded_at(appended: Appended) -> str:
    return str(appended.entry["recorded_at"])


def _verifies(ledger: Ledger) -> bool:
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    return report.ok


def _clock(ledger: Ledger) -> Clock:
    assert isinstance(ledger.clock, Clock)
    return ledger.clock


def test_item1_revocation_waits_for_an_append_holding_the_log_head(ledger: Ledger, maker: Actor) -> None:
    """An append in progress holds the log head (it has read the key's validity and will record its
    entries at a time taken under the lock): the revocation waits for it to commit."""
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    revoked = threading.Event()

    def revoke() -> None:
        orgkeys.revoke_key(ledger, ADMIN, "catl", "catl/1")
        revoked.set()

    with write_connection(ledger.engine) as conn, conn.begin():
        lock = "" if conn.dialect.name == "sqlite" else " FOR UPDATE"
        conn.exec_driver_sql(f"SELECT size FROM log_head WHERE id = 1{lock}")  # as an append does
        revoker = threading.Thread(target=revoke)
        revoker.start()
        assert not revoked.wait(0.5)  # it waits for the lock
    revoker.join(30)
    assert revoked.is_set()


def test_item1_revocation_comes_after_every_recorded_entry_when_the_clock_steps_back(
    ledger: Ledger, maker: Actor, base: int
) -> None:
    first = ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    _clock(ledger).now -= timedelta(hours=1)  # NTP steps the clock back, or another process's clock lags

    key = orgkeys.revoke_key(ledger, ADMIN, "catl", "catl/1")

    assert key.revoked_at == from_rfc3339(_recorded_at(first)) + timedelta(microseconds=1)
    [(index, _, body)] = list(ledger.entries(base + 1, base + 2))  # the revocation is the log's next entry
    revocation = json.loads(body)
    assert (index, revocation["subject"], revocation["claim"]["type"]) == (base + 1, "org:catl", "key_revoked")
    assert from_rfc3339(revocation["recorded_at"]) == key.revoked_at
    assert _verifies(ledger)


@pytest.mark.parametrize("revoker", ["catl", "fj-miit"], ids=["the organisation", "a regulator"])
def test_item1_a_signed_revocation_orders_after_every_entry_and_refuses_the_key_whatever_the_clock(
    ledger: Ledger, actors: dict[str, Actor], base: int, revoker: str
) -> None:
    """A token no longer revokes (issue 13): the organisation, or a regulator, posts a `key_revoked` claim
    signed by its own key; it is ordered like the administrator's."""
    maker = actors["catl"]
    with pytest.raises(AuthorisationError) as by_token:
        orgkeys.revoke_key(ledger, Caller(org=maker.org), "catl", "catl/1")
    assert by_token.value.code == "registry_needs_signature"
    first = ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    _clock(ledger).now -= timedelta(hours=1)

    claim, sig = actors[revoker].registry_claim("key_revoked", {"key_id": "catl/1"}, subject="org:catl")
    recorded = orgkeys.submit(ledger, Caller(org=actors[revoker].org), claim, sig)

    assert recorded.index == base + 1
    assert (recorded.entry["claim"], recorded.entry["sig"]) == (claim, sig)
    assert from_rfc3339(recorded.entry["recorded_at"]) == from_rfc3339(_recorded_at(first)) + timedelta(microseconds=1)
    for step in (timedelta(0), timedelta(days=2)):  # a clock behind the revocation, then one far ahead
        _clock(ledger).now += step
        with pytest.raises(AuthorisationError, match="key 'catl/1' is revoked") as refused:
            ledger.append_one(*maker.claim(code(2), "produced", PRODUCED))
        assert refused.value.code == "key_revoked"
    assert ledger.size() == base + 2
    assert _verifies(ledger)


def test_item1_recording_time_never_goes_back(ledger: Ledger, maker: Actor, base: int) -> None:
    first = ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    _clock(ledger).now -= timedelta(hours=1)

    second = ledger.append_one(*maker.claim(code(2), "produced", PRODUCED))

    assert _recorded_at(second) == _recorded_at(first)
    with ledger.engine.connect() as conn:
        signed = [row[0] for row in conn.exec_driver_sql("SELECT recorded_at FROM entry ORDER BY idx")]
    assert signed[base:] == [_recorded_at(first)] * 2
    assert signed == sorted(signed)  # the registry's entries before them too


def test_item1_a_committed_revocation_refuses_the_key_even_to_a_clock_behind_it(
    ledger: Ledger, maker: Actor, base: int
) -> None:
    """An append that takes the lock after a revocation was committed refuses the key, even when its
    clock reads a time before `revoked_at`: the entry would be recorded after the revocation."""
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    orgkeys.revoke_key(ledger, ADMIN, "catl", "catl/1")
    _clock(ledger).now -= timedelta(hours=1)

    with pytest.raises(AuthorisationError, match="key 'catl/1' is revoked") as refused:
        ledger.append_one(*maker.claim(code(2), "produced", PRODUCED))

    assert refused.value.code == "key_revoked"
    assert ledger.size() == base + 2  # the pack's entry and the revocation's
    assert _verifies(ledger)


def test_item1_a_key_registered_by_a_clock_ahead_signs_the_entries_after_its_registration(
    ledger: Ledger, maker: Actor, base: int
) -> None:
    """A key's registration is an entry of the log (issue 13): a process whose clock runs ahead records it
    at its own time, and since recording time never goes back, every later entry is recorded no earlier
    than the key's `valid_from`. (Before issue 13 `add_key` wrote a row outside the head's lock and the
    key was refused as not yet valid to a process whose clock lagged.)"""
    clock = _clock(ledger)
    clock.now += timedelta(hours=1)
    private = Ed25519PrivateKey.generate()
    public = base64.b64encode(private.public_key().public_bytes_raw()).decode()
    key = orgkeys.add_key(ledger, ADMIN, "catl", key_id="catl/ahead", public_key=public)
    clock.now -= timedelta(hours=1)
    ahead = Actor(maker.org, "catl/ahead", private)

    signed = ledger.append_one(*ahead.claim(code(1), "produced", PRODUCED))

    assert signed.index == base + 1  # after the key's registry entry
    assert from_rfc3339(_recorded_at(signed)) == key.valid_from  # the lagging clock does not take it back
    assert _verifies(ledger)
