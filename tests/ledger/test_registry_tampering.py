"""The registry's rows and entries under attack, and the registry replayed by the rule that admitted it.

The `org` and `org_key` tables are projections of the log's registry entries (docs/ledger-format.md §5.5):
an edit of either is found by `packtrace verify`, which names the organisation or key and what differs.
An edited or removed registry entry breaks the log itself. And replaying the registry is the same rule as
admitting it: a whitelist change never invalidates what came before it, and a key signs only after the
entry that added it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, delete, insert, text, update
from typer.testing import CliRunner

from api.cli import app
from events.errors import AuthorisationError
from events.orgs import Role
from events.registry import KeyState, OrgRecord, new_registry_claim
from events.timestamps import china_date
from ledger.format.claims import make_signed_claim
from ledger.log import Ledger
from ledger.store import registry
from ledger.store.schema import ORG, ORG_KEY
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from ledger.usecases.verify import verify_database
from tests import specverify
from tests.support import PRODUCED, T0, Actor, Clock, code, public_b64

RECYCLED = {"feed_mass_kg": 400.0, "content_kg": {"Li": 5.0, "Fe": 40.0, "Cu": 20.0},
            "recovered_kg": {"Li": 4.6, "Fe": 39.0, "Cu": 19.8}}  # fmt: skip
DISMANTLED = {"outputs": [{"kind": "material", "name": "black mass", "mass_kg": 300.0}]}


class Marks:
    """Indices of the fixture's registry entries."""

    second_key: int  # catl/2 added, signed by catl/1
    revocation: int  # catl/1 revoked by the administrator
    delisting: int  # grey-recycling's 规范条件 change
    size: int


def signed_registry_claim(actor: Actor, **fields: Any) -> tuple[dict[str, Any], str]:
    claim = new_registry_claim(by="signature", actor=actor.id, key=actor.key_id, at=T0, **fields)
    return claim, base64.b64encode(actor.private.sign(rfc8785.dumps(claim))).decode()


@pytest.fixture
def marks(ledger: Ledger, actors: dict[str, Actor]) -> Marks:
    """The province (18 registry entries), then: an event, a second key of catl signed by its first, the first
    revoked, an event signed by the second, and a whitelist change."""
    maker = actors["catl"]
    ledger.append([maker.claim(code(1), "produced", PRODUCED)])
    second = Ed25519PrivateKey.generate()
    mark = Marks()
    mark.second_key = ledger.size()
    data = {"key_id": "catl/2", "public_key": public_b64(second), "platform_held": False}
    ledger.append_registry([signed_registry_claim(maker, subject="org:catl", type="key_added", data=data)])
    mark.revocation = ledger.size()
    orgkeys.revoke_key(ledger, ADMIN, "catl", "catl/1")
    ledger.append([make_signed_claim(second, pack=code(2), type="produced", actor="catl", key="catl/2",
                                     data=PRODUCED, at=T0)])  # fmt: skip
    mark.delisting = ledger.size()
    orgkeys.update_org(ledger, ADMIN, "grey-recycling", whitelisted=True, effective=date(2027, 1, 1),
                       reference="工信部公告 2026年第30号")  # fmt: skip
    mark.size = ledger.size()
    return mark


def problems(ledger: Ledger) -> list[str]:
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    return [f"entry {p.index}: {p}" for p in sorted(report.problems)]


def test_the_untouched_registry_verifies(ledger: Ledger, marks: Marks) -> None:
    assert problems(ledger) == []
    assert marks.size == 18 + 5


# -- the projection rows ----------------------------------------------------------------------------------

RowAttack = Callable[[Connection], None]


def add_key_row(conn: Connection) -> None:
    conn.execute(insert(ORG_KEY).values(key_id="catl/9", org="catl", public_key=bytes(32), platform_held=False,
                                        valid_from=datetime(2026, 1, 1, tzinfo=UTC), revoked_at=None))  # fmt: skip


def add_role(conn: Connection) -> None:
    conn.execute(update(ORG).where(ORG.c.id == "catl").values(roles=["manufacturer", "recycler"]))


def flip_whitelist_flag(conn: Connection) -> None:
    conn.execute(update(ORG).where(ORG.c.id == "grey-recycling").values(whitelisted=True))


def drop_whitelist_change(conn: Connection) -> None:
    conn.execute(update(ORG).where(ORG.c.id == "grey-recycling").values(whitelist=[]))


def clear_revocation(conn: Connection) -> None:
    conn.execute(update(ORG_KEY).where(ORG_KEY.c.key_id == "catl/1").values(revoked_at=None))


def swap_public_key(conn: Connection) -> None:
    other = base64.b64decode(public_b64(Ed25519PrivateKey.generate()))
    conn.execute(update(ORG_KEY).where(ORG_KEY.c.key_id == "catl/2").values(public_key=other))


def delete_org_row(conn: Connection) -> None:
    conn.execute(delete(ORG_KEY).where(ORG_KEY.c.org == "xm-collect"))
    conn.execute(delete(ORG).where(ORG.c.id == "xm-collect"))


def marked(name: str) -> Callable[[Marks], int]:
    return lambda m: int(getattr(m, name))


ROW_ATTACKS: dict[str, tuple[RowAttack, Callable[[Marks], int], str]] = {
    "a key row added": (add_key_row, marked("size"),
                        "step 5: key 'catl/9' of 'catl' is in the registry table but no registry entry added it"),
    "a role added to an organisation": (add_role, marked("revocation"),
        "step 5: organisation 'catl': the registry table differs from the log's registry entries in roles"),
    "a whitelist flag flipped": (flip_whitelist_flag, marked("delisting"),
        "step 5: organisation 'grey-recycling': the registry table differs from the log's registry entries in "
        "whitelisted"),
    "a whitelist change dropped": (drop_whitelist_change, marked("delisting"),
        "step 5: organisation 'grey-recycling': the registry table differs from the log's registry entries in "
        "whitelist"),
    "a key's revocation cleared": (clear_revocation, marked("revocation"),
        "step 5: key 'catl/1': the registry table differs from the log's registry entries in revoked_at"),
    "a public key swapped": (swap_public_key, marked("second_key"),
        "step 5: key 'catl/2': the registry table differs from the log's registry entries in public_key"),
    "an organisation's row deleted": (delete_org_row, lambda m: 9,
        "step 5: key 'xm-collect/1' has a registry entry but no row in the registry table"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(ROW_ATTACKS))
def test_an_edited_registry_row_is_found_naming_it(ledger: Ledger, marks: Marks, name: str) -> None:
    attack, index, message = ROW_ATTACKS[name]
    with ledger.engine.begin() as conn:
        attack(conn)
    found = problems(ledger)
    assert found, "verify found nothing"
    assert found[0] == f"entry {index(marks)}: {message}", found


def test_a_deleted_organisation_row_is_named_with_its_keys(ledger: Ledger, marks: Marks) -> None:
    with ledger.engine.begin() as conn:
        delete_org_row(conn)
    assert problems(ledger) == [
        "entry 9: step 5: key 'xm-collect/1' has a registry entry but no row in the registry table",
        "entry 9: step 5: organisation 'xm-collect' has registry entries but no row in the registry table",
    ]


def test_the_cli_fails_naming_the_edited_organisation(ledger: Ledger, marks: Marks, database_url: str) -> None:
    runner = CliRunner()
    args = ["verify", "--database-url", database_url, "--log-key", ledger.signer.verifier_key]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert f"OK: {marks.size} entries, 2 packs" in ok.output
    with ledger.engine.begin() as conn:
        add_role(conn)
    bad = runner.invoke(app, args)
    assert bad.exit_code == 1
    assert (f"FAILED entry {marks.revocation}: step 5: organisation 'catl': the registry table differs from the "
            "log's registry entries in roles") in bad.output  # fmt: skip


# -- the registry entries -----------------------------------------------------------------------------------


def _body(conn: Connection, index: int) -> dict[str, Any]:
    body = conn.execute(text("SELECT body FROM entry WHERE idx = :i"), {"i": index}).scalar_one()
    return dict(json.loads(bytes(body)))


def _store(conn: Connection, index: int, entry: dict[str, Any], *, rehash: bool) -> None:
    body = rfc8785.dumps(entry)
    values = {"b": body, "i": index, "h": hashlib.sha256(body).hexdigest()}
    conn.execute(text(f"UPDATE entry SET body = :b{', hash = :h' if rehash else ''} WHERE idx = :i"), values)


def test_an_edited_registry_entry_breaks_its_hash(ledger: Ledger, marks: Marks) -> None:
    with ledger.engine.begin() as conn:
        entry = _body(conn, marks.second_key)
        entry["claim"]["data"]["public_key"] = public_b64(Ed25519PrivateKey.generate())
        _store(conn, marks.second_key, entry, rehash=False)
    assert problems(ledger)[0].startswith(f"entry {marks.second_key}: step 1: stored hash ")


def test_a_registry_entry_edited_with_its_hash_is_refused_by_the_replay(ledger: Ledger, marks: Marks) -> None:
    """A key swapped in the signed key_added, hash and all: the claim's signature no longer holds, and the
    checkpoint and the subject's chain still name the bytes the log recorded."""
    with ledger.engine.begin() as conn:
        entry = _body(conn, marks.second_key)
        entry["claim"]["data"]["public_key"] = public_b64(Ed25519PrivateKey.generate())
        _store(conn, marks.second_key, entry, rehash=True)
    found = problems(ledger)
    assert found[0].startswith(f"entry {marks.second_key}: step 4: checkpoint at size {marks.second_key + 1}: "), found
    assert (f"entry {marks.second_key}: step 5: registry replay refuses key_added of org:catl: the signature does "
            "not verify with key 'catl/1'") in found  # fmt: skip
    assert any(p.startswith(f"entry {marks.revocation}: step 2: subject org:catl: prev ") for p in found), found


def test_a_registry_entry_turned_into_the_administrators_is_found_by_its_chain(ledger: Ledger, marks: Marks) -> None:
    """The signed key_added rewritten as the administrator's (no signature to check, an authority the table
    allows): the checkpoints and the subject's chain still hold it to the bytes the log recorded."""
    with ledger.engine.begin() as conn:
        entry = _body(conn, marks.second_key)
        for member in ("actor", "key"):
            del entry["claim"][member]
        del entry["sig"]
        entry["claim"]["by"] = "admin"
        _store(conn, marks.second_key, entry, rehash=True)
    found = problems(ledger)
    assert found[0].startswith(f"entry {marks.second_key}: step 4: checkpoint at size {marks.second_key + 1}: "
                               "signed root "), found  # fmt: skip
    assert any(p.startswith(f"entry {marks.revocation}: step 2: subject org:catl: prev ") for p in found), found


def test_a_removed_registry_entry_leaves_a_gap_and_a_key_row_the_log_does_not_make(
    ledger: Ledger, marks: Marks
) -> None:
    """The revocation's entry deleted: the index is missing, and the replayed catl/1 is not revoked while its
    row is (reported at the entry that added the key)."""
    with ledger.engine.begin() as conn:
        conn.execute(text("DELETE FROM entry WHERE idx = :i"), {"i": marks.revocation})
    found = problems(ledger)
    assert (
        found[0]
        == "entry 1: step 5: key 'catl/1': the registry table differs from the log's registry entries in revoked_at"
    )
    assert (f"entry {marks.revocation}: step 2: index {marks.revocation} is missing: the next stored entry is "
            f"{marks.revocation + 1}") in found  # fmt: skip


# -- replaying the registry is the rule that admitted it ----------------------------------------------------


def recycle(ledger: Ledger, actors: dict[str, Actor], serial: int, *, until: str = "recycled") -> None:
    """A pack of catl's taken back by gem-recycling, dismantled and recycled (or up to `until`)."""
    maker, recycler = actors["catl"], actors["gem-recycling"]
    pack = code(serial)
    for actor, kind, data in ((maker, "produced", PRODUCED), (maker, "retired", {"reason": "end_of_life"}),
                              (maker, "shipped", {"to": "gem-recycling"}), (recycler, "received", {"from": "catl"}),
                              (recycler, "dismantled", DISMANTLED), (recycler, "recycled", RECYCLED)):  # fmt: skip
        ledger.append_one(*actor.claim(pack, kind, data))
        if kind == until:
            return


@pytest.mark.parametrize("effective", ["today", "in the past"])
def test_a_delisted_recycler_keeps_its_earlier_recycled_entries(
    ledger: Ledger, actors: dict[str, Actor], effective: str
) -> None:
    recycle(ledger, actors, 1)
    recycle(ledger, actors, 2)
    recycle(ledger, actors, 3, until="dismantled")
    today = china_date(ledger.clock())
    orgkeys.update_org(ledger, ADMIN, "gem-recycling", whitelisted=False, reference="工信部公告 2026年第31号",
                       effective=today if effective == "today" else date(2026, 1, 1))  # fmt: skip
    recycler = actors["gem-recycling"]
    with pytest.raises(AuthorisationError, match="'gem-recycling' is not on the 规范条件 whitelist") as refused:
        ledger.append_one(*recycler.claim(code(3), "recycled", RECYCLED))
    assert refused.value.code == "forbidden"  # HTTP 403 (api/errors.py)
    assert problems(ledger) == []
    assert [ledger.pack_state(code(n)).status for n in (1, 2, 3)] == ["recycled", "recycled", "dismantled"]  # type: ignore[union-attr]


def test_a_delisting_from_a_later_date_leaves_the_recycler_listed_until_then(
    ledger: Ledger, actors: dict[str, Actor]
) -> None:
    tomorrow = china_date(ledger.clock()) + timedelta(days=1)
    orgkeys.update_org(ledger, ADMIN, "gem-recycling", whitelisted=False, effective=tomorrow,
                       reference="工信部公告 2026年第31号")  # fmt: skip
    recycle(ledger, actors, 1)  # still listed today
    recycle(ledger, actors, 2, until="dismantled")
    ledger.clock = Clock(ledger.clock() + timedelta(days=1))
    with pytest.raises(AuthorisationError, match="not on the 规范条件 whitelist"):
        ledger.append_one(*actors["gem-recycling"].claim(code(2), "recycled", RECYCLED))
    assert problems(ledger) == []


def test_a_key_cannot_have_signed_an_entry_before_the_one_that_added_it(
    ledger: Ledger, actors: dict[str, Actor]
) -> None:
    """An entry re-signed, hash and all, with a key the log added only after it: refused by position."""
    maker = actors["catl"]
    ledger.append([maker.claim(code(1), "produced", PRODUCED)])
    forged_at = ledger.size() - 1
    second = Ed25519PrivateKey.generate()
    data = {"key_id": "catl/2", "public_key": public_b64(second), "platform_held": False}
    ledger.append_registry([signed_registry_claim(maker, subject="org:catl", type="key_added", data=data)])
    with ledger.engine.begin() as conn:
        entry = _body(conn, forged_at)
        entry["claim"]["key"] = "catl/2"
        entry["sig"] = base64.b64encode(second.sign(rfc8785.dumps(entry["claim"]))).decode()
        _store(conn, forged_at, entry, rehash=True)
    found = problems(ledger)
    assert found[0] == (f"entry {forged_at}: step 3: signed by key 'catl/2', which the registry does not show "
                        f"before entry {forged_at}"), found  # fmt: skip
    with ledger.engine.connect() as conn:
        entries = [_body(conn, i) for i in range(ledger.size())]
    with pytest.raises(specverify.SpecViolation, match=f"entry {forged_at}: key 'catl/2' is not in the registry"):
        specverify.verify_entries(entries)


# -- the migration: a database whose registry was rows, not entries --------------------------------------------


def old_database(ledger: Ledger) -> dict[str, Ed25519PrivateKey]:
    """What the previous version left: `org` and `org_key` rows, no registry entry, and events signed with
    keys whose validity was a time window (catl/old revoked at a time after its one event)."""
    keys = {"catl/old": Ed25519PrivateKey.generate(), "catl/1": Ed25519PrivateKey.generate()}
    catl = OrgRecord("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"}))
    with ledger.engine.begin() as conn:
        registry.put_org(conn, catl, now=T0)
        for key_id, private in keys.items():
            raw = base64.b64decode(public_b64(private))
            registry.put_key(conn, KeyState(key_id, "catl", raw, False, T0, -1))
    ledger.append([make_signed_claim(keys["catl/old"], pack=code(1), type="produced", actor="catl",
                                     key="catl/old", data=PRODUCED, at=T0)])  # fmt: skip
    revoked = ledger.clock()
    with ledger.engine.begin() as conn:
        conn.execute(update(ORG_KEY).where(ORG_KEY.c.key_id == "catl/old").values(revoked_at=revoked))
    ledger.append([make_signed_claim(keys["catl/1"], pack=code(2), type="produced", actor="catl", key="catl/1",
                                     data=PRODUCED, at=T0)])  # fmt: skip
    return keys


def migrated(ledger: Ledger) -> Ledger:
    """The same database opened by this version: `record_registry` (the server's start, `packtrace
    migrate`) appends the migration's registry entries."""
    assert ledger.size() == 2
    again = Ledger(ledger.engine, ledger.signer, clock=ledger.clock)
    again.init()
    assert again.record_registry() == 3
    return again


def test_the_migration_appends_the_registry_and_keeps_the_old_time_windows(ledger: Ledger) -> None:
    keys = old_database(ledger)
    after = migrated(ledger)
    try:
        assert after.size() == 5  # org_registered, then catl/1 and catl/old (by valid_from, then id)
        with ledger.engine.connect() as conn:
            entries = [_body(conn, i) for i in range(after.size())]
        assert [(e.get("subject"), e["claim"]["type"], e["claim"].get("by")) for e in entries[2:]] == [
            ("org:catl", "org_registered", "migration"), ("org:catl", "key_added", "migration"),
            ("org:catl", "key_added", "migration")]  # fmt: skip
        spec = specverify.verify_entries(entries)  # the entries before the migration, by the time windows
        assert spec.keys["catl/old"].migrated and spec.keys["catl/old"].revoked_at is not None
        # After the migration, the time window still holds at append: catl/old is revoked, catl/1 signs.
        with pytest.raises(AuthorisationError, match="key 'catl/old' is revoked"):
            after.append_one(*make_signed_claim(keys["catl/old"], pack=code(3), type="produced", actor="catl",
                                                key="catl/old", data=PRODUCED, at=T0))  # fmt: skip
        after.append_one(*make_signed_claim(keys["catl/1"], pack=code(3), type="produced", actor="catl",
                                            key="catl/1", data=PRODUCED, at=T0))  # fmt: skip
    finally:
        after.close()


def test_a_migrated_database_verifies_including_its_entries_from_before_the_migration(ledger: Ledger) -> None:
    old_database(ledger)
    after = migrated(ledger)
    try:
        assert problems(after) == []
    finally:
        after.close()
