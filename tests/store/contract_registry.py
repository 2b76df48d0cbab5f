"""The store contract of the registry's rows (ledger.store.registry), web sessions (ledger.store.sessions),
the log head's metadata (ledger.store.logmeta), a pack's chain head (ledger.store.chains) and the
snapshot `packtrace verify` reads (ledger.store.snapshot): each function on an empty database with the
tables created (the `engine` fixture of tests/store/contract.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, insert, inspect, select, text

from events.orgs import Org, Role
from events.registry import KeyState, OrgRecord, WhitelistChange
from ledger.store import chains, logmeta, registry, sessions, snapshot
from ledger.store.db import write_connection
from ledger.store.schema import ENTRY, node_id

T0 = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
CATL = Org("catl", "CATL", frozenset({Role.MANUFACTURER}), frozenset({"001"}), region="350200")
GEM = Org("gem", "GEM", frozenset({Role.RECYCLER}), whitelisted=True)


def _record(org: Org, *whitelist: WhitelistChange) -> OrgRecord:
    return OrgRecord(org.id, org.name, org.roles, org.manufacturer_codes, org.region, org.whitelisted, whitelist)


def _state(key_id: str, org: str = "catl", *, at: datetime = T0, platform_held: bool = False) -> KeyState:
    return KeyState(key_id, org, bytes(range(32)), platform_held, at, added=3)


def _key(key_id: str, org: str = "catl", *, at: datetime = T0, platform_held: bool = False) -> registry.KeyRecord:
    return registry.KeyRecord(key_id, org, bytes(range(32)), at, None, platform_held)


def _with_orgs(engine: Engine) -> None:
    with write_connection(engine) as conn, conn.begin():
        registry.put_org(conn, _record(CATL), now=T0)
        registry.put_org(conn, _record(GEM), now=T0)
        registry.set_token_hash(conn, "catl", "a" * 64)
        registry.set_token_hash(conn, "gem", "b" * 64)


def _with_keys(engine: Engine, *keys: KeyState, sealed: dict[str, bytes] | None = None) -> None:
    with write_connection(engine) as conn, conn.begin():
        for key in keys:
            registry.put_key(conn, key)
        for key_id, blob in (sealed or {}).items():
            registry.set_sealed_private_key(conn, key_id, blob)


def _with_head(engine: Engine, *, size: int = 0, origin: str = "example.org/packtrace") -> None:
    with write_connection(engine) as conn, conn.begin():
        conn.execute(insert(logmeta.HEAD).values(id=1, size=size, origin=origin))


def _entry(idx: int, pack: str, seq: int, type: str = "produced", actor: str = "catl") -> dict[str, object]:
    return {
        "idx": idx,
        "pack": pack,
        "seq": seq,
        "hash": f"{idx:064x}",
        "actor": actor,
        "claim_id": f"c{idx}",
        "type": type,
        "at": "2026-11-20T08:30:00Z",
        "recorded_at": "2026-11-20T08:30:00.000000Z",
        "body": f"entry {idx}".encode(),
    }


class RegistryStoreContract:
    def test_organisations_read_back_as_they_were_inserted(self, engine: Engine) -> None:
        _with_orgs(engine)
        with engine.connect() as conn:
            assert registry.get_org(conn, "catl") == CATL
            assert registry.get_org(conn, "nobody") is None
            assert registry.list_orgs(conn) == [CATL, GEM]  # in id order
            assert registry.get_org_record(conn, "catl") == _record(CATL)
            assert registry.get_org_record(conn, "nobody") is None
            assert registry.org_records(conn) == [_record(CATL), _record(GEM)]  # in id order
            assert registry.org_count(conn) == 2
            assert registry.org_created(conn) == {"catl": T0, "gem": T0}
            assert registry.org_exists(conn, "gem") and not registry.org_exists(conn, "nobody")
            assert registry.org_by_token_hash(conn, "b" * 64) == GEM
            assert registry.org_by_token_hash(conn, "c" * 64) is None
            assert registry.code_owners(conn, {"001", "002"}) == {"001": "catl"}

    def test_an_organisation_put_again_is_updated_in_place_keeping_its_token_and_creation(self, engine: Engine) -> None:
        _with_orgs(engine)
        changed = Org("catl", "宁德时代", frozenset({Role.MANUFACTURER, Role.SERVICE}), frozenset({"001", "0RJ"}))
        with write_connection(engine) as conn, conn.begin():
            registry.put_org(conn, _record(changed), now=T0 + timedelta(days=3))
        with engine.connect() as conn:
            assert registry.get_org_record(conn, "catl") == _record(changed)
            assert registry.org_count(conn) == 2
            assert registry.org_created(conn)["catl"] == T0  # made once: a change does not move it
            assert registry.org_by_token_hash(conn, "a" * 64) == changed  # the token is not in the log: kept
            assert registry.code_owners(conn, {"0RJ"}) == {"0RJ": "catl"}

    def test_a_newly_put_organisation_has_no_token_until_one_is_set(self, engine: Engine) -> None:
        with write_connection(engine) as conn, conn.begin():
            registry.put_org(conn, _record(GEM), now=T0)
        with engine.connect() as conn:
            assert registry.get_org(conn, "gem") == GEM
            assert registry.org_by_token_hash(conn, "b" * 64) is None

    def test_a_whitelist_history_reads_back_in_log_order(self, engine: Engine) -> None:
        delisted = WhitelistChange(False, date(2020, 3, 1), "工信部公告2020年第9号", 7)
        relisted = WhitelistChange(True, date(2099, 1, 1), "工信部公告2099年第1号", 12)
        record = _record(GEM, delisted, relisted)
        with write_connection(engine) as conn, conn.begin():
            registry.put_org(conn, _record(GEM), now=T0)
            registry.put_org(conn, record, now=T0)
        with engine.connect() as conn:
            found = registry.get_org_record(conn, "gem")
            assert registry.org_records(conn) == [record]
        assert found == record and found.whitelist == (delisted, relisted)
        assert found.whitelisted  # its status when registered is kept beside the changes
        assert found.listed_on(date(2020, 2, 29)) and not found.listed_on(date(2020, 3, 1))
        assert found.listed_on(date(2099, 1, 1))
        with engine.connect() as conn:  # today (between the two changes) it is off the list
            assert registry.get_org(conn, "gem") == replace(GEM, whitelisted=False)
            assert registry.list_orgs(conn) == [replace(GEM, whitelisted=False)]

    def test_a_new_token_hash_replaces_the_old_one(self, engine: Engine) -> None:
        _with_orgs(engine)
        with write_connection(engine) as conn, conn.begin():
            assert registry.set_token_hash(conn, "catl", "c" * 64)
            assert not registry.set_token_hash(conn, "nobody", "d" * 64)
        with engine.connect() as conn:
            assert registry.org_by_token_hash(conn, "a" * 64) is None
            assert registry.org_by_token_hash(conn, "c" * 64) == CATL

    def test_keys_read_back_aware_utc_and_by_organisation(self, engine: Engine) -> None:
        _with_orgs(engine)
        _with_keys(
            engine,
            _state("catl/2"),
            _state("catl/1", at=T0 + timedelta(hours=1)),
            _state("gem/1", "gem", platform_held=True),
            sealed={"gem/1": b"sealed"},
        )
        with engine.connect() as conn:
            found = registry.get_keys(conn, ["catl/1", "gem/1", "nobody/1"])
            assert set(found) == {"catl/1", "gem/1"}
            assert found["catl/1"] == _key("catl/1", at=T0 + timedelta(hours=1))
            assert found["catl/1"].valid_from.tzinfo is not None
            assert found["gem/1"].platform_held
            assert registry.get_keys(conn, []) == {}
            assert [k.key_id for k in registry.keys_of(conn, ["catl"])] == ["catl/1", "catl/2"]
            assert set(registry.all_keys(conn)) == {"catl/1", "catl/2", "gem/1"}
            assert registry.key_exists(conn, "catl/2") and not registry.key_exists(conn, "catl/3")

    def test_a_revoked_key_is_valid_until_its_revocation_only(self, engine: Engine) -> None:
        _with_orgs(engine)
        revoked_at = T0 + timedelta(days=1)
        added = _state("catl/1")
        _with_keys(engine, added)
        _with_keys(engine, replace(added, revoked_at=revoked_at, revoked=9))  # the row is updated, not doubled
        with engine.connect() as conn:
            key = registry.get_keys(conn, ["catl/1"])["catl/1"]
            assert len(registry.all_keys(conn)) == 1
        assert key.revoked_at == revoked_at and key.revoked_at.tzinfo is not None
        assert key.valid_at(T0) and key.valid_at(revoked_at - timedelta(microseconds=1))
        assert not key.valid_at(revoked_at) and not key.valid_at(T0 - timedelta(microseconds=1))
        assert key.validity.refusal(revoked_at) == "key_revoked"

    def test_a_key_put_again_changes_only_its_revocation(self, engine: Engine) -> None:
        _with_orgs(engine)
        _with_keys(engine, _state("gem/1", "gem", platform_held=True), sealed={"gem/1": b"sealed"})
        other = KeyState("gem/1", "gem", bytes(32), False, T0 + timedelta(days=2), added=8)
        _with_keys(engine, other)
        with engine.connect() as conn:
            assert registry.get_keys(conn, ["gem/1"])["gem/1"] == _key("gem/1", "gem", platform_held=True)
            assert registry.platform_held_keys(conn, "gem") == [registry.SealedKey("gem/1", "gem", b"sealed")]

    def test_key_states_are_the_keys_as_in_force_before_any_entry_to_come(self, engine: Engine) -> None:
        _with_orgs(engine)
        revoked_at = T0 + timedelta(days=1)
        _with_keys(engine, _state("catl/1"), replace(_state("catl/1"), revoked_at=revoked_at, revoked=9))
        _with_keys(engine, _state("gem/1", "gem", platform_held=True))
        with engine.connect() as conn:
            states = {k.key_id: k for k in registry.key_states(conn)}
        assert states == {
            "catl/1": KeyState("catl/1", "catl", bytes(range(32)), False, T0, -1, revoked_at, -1),
            "gem/1": KeyState("gem/1", "gem", bytes(range(32)), True, T0, -1),
        }
        assert states["catl/1"].refusal(0, T0) == "key_revoked"
        assert states["gem/1"].refusal(0, T0) is None

    def test_key_ids_by_prefix_take_the_prefix_literally(self, engine: Engine) -> None:
        _with_orgs(engine)
        _with_keys(
            engine, *(_state(key_id) for key_id in ("catl/platform-1", "catl/platform-2", "catl/platformX1", "catl/1"))
        )
        with engine.connect() as conn:
            assert registry.key_ids_starting(conn, "catl/platform-") == {"catl/platform-1", "catl/platform-2"}
            assert registry.key_ids_starting(conn, "catl/platform_") == set()  # `_` is no wildcard

    def test_sealed_keys_of_an_organisation_and_the_first_of_all(self, engine: Engine) -> None:
        _with_orgs(engine)
        with engine.connect() as conn:
            assert registry.first_sealed_key(conn) is None
        _with_keys(
            engine,
            _state("gem/platform-2", "gem", platform_held=True),
            _state("gem/platform-1", "gem", platform_held=True),
            _state("gem/own", "gem"),
            sealed={"gem/platform-2": b"two", "gem/platform-1": b"one"},
        )
        with engine.connect() as conn:
            held = sorted(registry.platform_held_keys(conn, "gem"), key=lambda k: k.key_id)
            assert held == [
                registry.SealedKey("gem/platform-1", "gem", b"one"),
                registry.SealedKey("gem/platform-2", "gem", b"two"),
            ]
            assert registry.platform_held_keys(conn, "catl") == []
            assert registry.first_sealed_key(conn) == registry.SealedKey("gem/platform-1", "gem", b"one")

    def test_a_platform_held_key_not_yet_sealed_reads_back_without_its_private_half(self, engine: Engine) -> None:
        _with_orgs(engine)
        _with_keys(engine, _state("gem/platform-1", "gem", platform_held=True))
        with engine.connect() as conn:
            assert registry.platform_held_keys(conn, "gem") == [registry.SealedKey("gem/platform-1", "gem", None)]
            assert registry.first_sealed_key(conn) is None

    def test_a_subject_s_head_and_entries_are_its_chain_in_order(self, engine: Engine) -> None:
        with engine.connect() as conn:
            assert registry.subject_head(conn, "org:catl") == (None, -1)
            assert registry.subject_entries(conn, "org:catl") == []
            assert not registry.has_registry_entries(conn)
        rows = [
            _entry(0, "org:catl", 0, "org_registered", "@admin"),
            _entry(1, "org:gem", 0, "org_registered", "@admin"),
            _entry(2, "org:catl", 1, "key_added", "@admin"),
            _entry(3, "P", 0),
            _entry(4, "org:catl", 2, "key_revoked", "catl"),
        ]
        with write_connection(engine) as conn, conn.begin():
            for row in reversed(rows):  # the order rows were written in is not the order they are read in
                conn.execute(insert(ENTRY).values(**row))
        with engine.connect() as conn:
            assert registry.subject_head(conn, "org:catl") == (f"{4:064x}", 2)
            assert registry.subject_head(conn, "org:gem") == (f"{1:064x}", 0)
            assert registry.subject_head(conn, "org:nobody") == (None, -1)
            assert registry.subject_entries(conn, "org:catl") == [
                (0, f"{0:064x}", b"entry 0"),
                (2, f"{2:064x}", b"entry 2"),
                (4, f"{4:064x}", b"entry 4"),
            ]
            assert registry.subject_entries(conn, "org:gem") == [(1, f"{1:064x}", b"entry 1")]
            assert registry.has_registry_entries(conn)

    def test_a_log_of_pack_entries_only_has_no_registry_entries(self, engine: Engine) -> None:
        with write_connection(engine) as conn, conn.begin():
            conn.execute(insert(ENTRY).values(**_entry(0, "P", 0)))
        with engine.connect() as conn:
            assert not registry.has_registry_entries(conn)
            assert registry.subject_head(conn, "P") == (f"{0:064x}", 0)  # a pack's chain is read the same way

    def test_missing_registry_columns_are_added_to_an_older_database(self, engine: Engine) -> None:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE org DROP COLUMN whitelist"))
            conn.execute(text("ALTER TABLE org DROP COLUMN region"))
            if engine.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE entry ALTER COLUMN pack TYPE VARCHAR(32)"))
            conn.execute(
                text(
                    "INSERT INTO org (id, name, roles, manufacturer_codes, whitelisted, token_hash, created_at) "
                    "VALUES ('gem', 'GEM', '[\"recycler\"]', '[]', :listed, :token, :created)"
                ),
                {"listed": True, "token": "b" * 64, "created": T0.replace(tzinfo=None)},
            )
        assert {c["name"] for c in inspect(engine).get_columns("org")}.isdisjoint({"region", "whitelist"})
        registry.add_missing_columns(engine)
        registry.add_missing_columns(engine)  # a second time changes nothing
        columns = {c["name"]: c for c in inspect(engine).get_columns("org")}
        assert {"region", "whitelist"} <= set(columns)
        if engine.dialect.name == "postgresql":
            pack = next(c for c in inspect(engine).get_columns("entry") if c["name"] == "pack")
            assert getattr(pack["type"], "length", None) == 80  # a registry subject fits
        with engine.connect() as conn:  # the older row reads with no region and no whitelist changes
            assert registry.get_org_record(conn, "gem") == _record(GEM)
            assert registry.org_by_token_hash(conn, "b" * 64) == GEM
        delisted = WhitelistChange(False, date(2020, 3, 1), "工信部公告2020年第9号", 7)
        with write_connection(engine) as conn, conn.begin():
            registry.put_org(conn, _record(GEM, delisted), now=T0)
            conn.execute(insert(ENTRY).values(**_entry(0, "org:gem-recycling-co", 0, "org_registered")))
        with engine.connect() as conn:
            assert registry.get_org_record(conn, "gem") == _record(GEM, delisted)
            assert registry.subject_head(conn, "org:gem-recycling-co") == (f"{0:064x}", 0)


class SessionStoreContract:
    def _open(self, engine: Engine, secret_hash: str, org: str | None, *, expires: datetime) -> None:
        with write_connection(engine) as conn, conn.begin():
            sessions.insert_session(
                conn, secret_hash=secret_hash, org_id=org, token_hash="a" * 64, now=T0, expires=expires
            )

    def test_a_session_reads_back_with_its_organisation_s_current_token_hash(self, engine: Engine) -> None:
        _with_orgs(engine)
        self._open(engine, "s1", "catl", expires=T0 + timedelta(hours=8))
        self._open(engine, "s2", None, expires=T0 + timedelta(hours=8))
        with engine.connect() as conn:
            expires = T0 + timedelta(hours=8)
            assert sessions.find_session(conn, "s1") == sessions.SessionRow("catl", "a" * 64, expires, "a" * 64)
            assert sessions.find_session(conn, "s2") == sessions.SessionRow(None, "a" * 64, expires, None)
            assert sessions.find_session(conn, "s3") is None
        with write_connection(engine) as conn, conn.begin():
            registry.set_token_hash(conn, "catl", "c" * 64)
        with engine.connect() as conn:
            found = sessions.find_session(conn, "s1")
            assert found is not None and found.current_hash == "c" * 64

    def test_expired_sessions_are_deleted_and_live_ones_kept(self, engine: Engine) -> None:
        _with_orgs(engine)
        self._open(engine, "old", "catl", expires=T0)
        self._open(engine, "live", "catl", expires=T0 + timedelta(seconds=1))
        with write_connection(engine) as conn, conn.begin():
            sessions.delete_expired(conn, T0)
        with engine.connect() as conn:
            assert sessions.find_session(conn, "old") is None
            assert sessions.find_session(conn, "live") is not None

    def test_sessions_end_one_at_a_time_or_all_of_an_organisation(self, engine: Engine) -> None:
        _with_orgs(engine)
        for secret_hash, org in (("c1", "catl"), ("c2", "catl"), ("g1", "gem")):
            self._open(engine, secret_hash, org, expires=T0 + timedelta(hours=1))
        with write_connection(engine) as conn, conn.begin():
            sessions.delete_session(conn, "g1")
            assert sessions.delete_sessions_of(conn, "catl") == 2
            assert sessions.delete_sessions_of(conn, "gem") == 0
        with engine.connect() as conn:
            assert all(sessions.find_session(conn, s) is None for s in ("c1", "c2", "g1"))


class LogMetaStoreContract:
    def test_a_database_without_a_log_has_no_origin_and_nothing_recorded(self, engine: Engine) -> None:
        assert logmeta.stored_origin(engine) is None
        assert logmeta.recorded(engine) == logmeta.Recorded()

    def test_the_head_s_origin_and_size(self, engine: Engine) -> None:
        _with_head(engine, size=3, origin="tlog.example/packtrace")
        assert logmeta.stored_origin(engine) == "tlog.example/packtrace"
        assert logmeta.recorded(engine) == logmeta.Recorded(size=3)

    def test_key_ids_are_recorded_once_given_and_sealed_keys_counted_to_one(self, engine: Engine) -> None:
        _with_head(engine)
        _with_orgs(engine)
        with write_connection(engine) as conn, conn.begin():
            for n in (1, 2):
                registry.put_key(conn, _state(f"gem/platform-{n}", "gem", platform_held=True))
                registry.set_sealed_private_key(conn, f"gem/platform-{n}", str(n).encode())
            found = logmeta.lock_recorded(conn)
            assert found == logmeta.Recorded(0, None, None, 1)
            logmeta.record_key_ids(conn, log_verifier_key="log+abcd+key", sealing_key_id=None)
        assert logmeta.recorded(engine) == logmeta.Recorded(0, "log+abcd+key", None, 1)
        with write_connection(engine) as conn, conn.begin():
            logmeta.record_key_ids(conn, log_verifier_key=None, sealing_key_id="0123456789abcdef")
        assert logmeta.recorded(engine) == logmeta.Recorded(0, "log+abcd+key", "0123456789abcdef", 1)

    def test_the_latest_checkpoint_note(self, engine: Engine) -> None:
        _with_head(engine)
        with engine.connect() as conn:
            assert logmeta.latest_checkpoint_note(conn) is None
        with write_connection(engine) as conn, conn.begin():
            for size in (1, 5, 3):
                conn.execute(insert(logmeta.CHECKPOINT).values(size=size, root=b"r", note=f"note {size}", signed_at=T0))
        with engine.connect() as conn:
            assert logmeta.latest_checkpoint_note(conn) == "note 5"

    def test_missing_key_id_columns_are_added_to_an_older_head(self, engine: Engine) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE log_head")
            conn.exec_driver_sql("CREATE TABLE log_head (id INTEGER PRIMARY KEY, size BIGINT NOT NULL, origin TEXT)")
            conn.exec_driver_sql("INSERT INTO log_head (id, size, origin) VALUES (1, 2, 'old.example/packtrace')")
        assert logmeta.recorded(engine) == logmeta.Recorded(size=2)  # an older schema is read as it is
        logmeta.add_missing_columns(engine)
        logmeta.add_missing_columns(engine)  # a second time changes nothing
        with write_connection(engine) as conn, conn.begin():
            logmeta.record_key_ids(conn, log_verifier_key="log+abcd+key", sealing_key_id="0123456789abcdef")
        assert logmeta.recorded(engine) == logmeta.Recorded(2, "log+abcd+key", "0123456789abcdef", 0)


class SnapshotStoreContract:
    def _with_log(self, engine: Engine, entries: int) -> None:
        _with_head(engine, size=entries)
        with write_connection(engine) as conn, conn.begin():
            for idx in range(entries):
                conn.execute(
                    insert(snapshot.ENTRY).values(
                        idx=idx,
                        pack="P",
                        seq=idx,
                        hash=f"{idx:064x}",
                        actor="catl",
                        claim_id=f"c{idx}",
                        type="produced" if idx == 0 else "incident",
                        at="2026-11-20T08:30:00Z",
                        recorded_at="2026-11-20T08:30:00.000000Z",
                        body=b"{}",
                    )
                )
            conn.execute(insert(snapshot.NODE).values(id=node_id(1, 0), hash=b"n10"))
            conn.execute(insert(snapshot.NODE).values(id=node_id(0, 1), hash=b"n01"))
            conn.execute(insert(snapshot.CHECKPOINT).values(size=entries, root=b"root", note="note", signed_at=T0))

    def test_every_entry_in_index_order_a_chunk_at_a_time(self, engine: Engine) -> None:
        self._with_log(engine, 5)
        with snapshot.snapshot(engine) as conn:
            assert snapshot.log_size(conn) == 5
            chunks = list(snapshot.entry_chunks(conn, 2))
        assert [[row.idx for row in chunk] for chunk in chunks] == [[0, 1], [2, 3], [4]]
        assert chunks[0][1] == snapshot.EntryRow(1, "P", 1, f"{1:064x}", b"{}")

    def test_checkpoints_nodes_and_projections(self, engine: Engine) -> None:
        self._with_log(engine, 2)
        with write_connection(engine) as conn, conn.begin():
            conn.execute(
                insert(chains.PACK).values(
                    code="P",
                    status="produced",
                    custodian="catl",
                    manufacturer="catl",
                    maker_code="001",
                    chemistry="LFP",
                    head="h",
                    seq=1,
                    last_index=1,
                    state={"code": "P"},
                )
            )
        with snapshot.snapshot(engine) as conn:
            assert snapshot.checkpoints(conn) == [snapshot.CheckpointRow(2, b"root", "note")]
            assert list(snapshot.merkle_nodes(conn)) == [
                snapshot.NodeRow(0, 1, b"n01"),
                snapshot.NodeRow(1, 0, b"n10"),
            ]
            assert list(snapshot.projections(conn)) == [snapshot.ProjectionRow("P", {"code": "P"}, 1)]
            # read a chunk at a time (a whole-table read must not be held whole), the same rows in order
            assert list(snapshot.merkle_nodes(conn, chunk=1)) == list(snapshot.merkle_nodes(conn))
            assert list(snapshot.projections(conn, chunk=1)) == list(snapshot.projections(conn))
        with engine.connect() as conn:
            assert chains.chain_head(conn, "P") == chains.ChainHead("catl", 1)
            assert chains.chain_head(conn, "Q") is None

    def test_an_empty_database_reads_as_an_empty_log(self, engine: Engine) -> None:
        with snapshot.snapshot(engine) as conn:
            assert snapshot.log_size(conn) == 0
            assert list(snapshot.entry_chunks(conn, 10)) == []
            assert snapshot.checkpoints(conn) == []
            assert conn.execute(select(snapshot.PACK.c.code)).all() == []
