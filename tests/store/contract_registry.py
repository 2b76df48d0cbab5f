"""The store contract of the registry's rows (ledger.store.registry), web sessions (ledger.store.sessions),
the log head's metadata (ledger.store.logmeta), a pack's chain head (ledger.store.chains) and the
snapshot `packtrace verify` reads (ledger.store.snapshot): each function on an empty database with the
tables created (the `engine` fixture of tests/store/contract.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select

from events.orgs import Org, Role
from ledger.store import chains, logmeta, registry, sessions, snapshot
from ledger.store.db import write_connection
from ledger.store.schema import node_id

T0 = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
CATL = Org("catl", "CATL", frozenset({Role.MANUFACTURER}), frozenset({"001"}))
GEM = Org("gem", "GEM", frozenset({Role.RECYCLER}), whitelisted=True)


def _key(key_id: str, org: str = "catl", *, at: datetime = T0, platform_held: bool = False) -> registry.KeyRecord:
    return registry.KeyRecord(key_id, org, bytes(range(32)), at, None, platform_held)


def _with_orgs(engine: Engine) -> None:
    with write_connection(engine) as conn, conn.begin():
        registry.insert_org(conn, CATL, token_hash="a" * 64, now=T0)
        registry.insert_org(conn, GEM, token_hash="b" * 64, now=T0)


def _with_head(engine: Engine, *, size: int = 0, origin: str = "example.org/packtrace") -> None:
    with write_connection(engine) as conn, conn.begin():
        conn.execute(insert(logmeta.HEAD).values(id=1, size=size, origin=origin))


class RegistryStoreContract:
    def test_organisations_read_back_as_they_were_inserted(self, engine: Engine) -> None:
        _with_orgs(engine)
        with engine.connect() as conn:
            assert registry.get_org(conn, "catl") == CATL
            assert registry.get_org(conn, "nobody") is None
            assert registry.list_orgs(conn) == [CATL, GEM]  # in id order
            assert registry.org_exists(conn, "gem") and not registry.org_exists(conn, "nobody")
            assert registry.org_by_token_hash(conn, "b" * 64) == GEM
            assert registry.org_by_token_hash(conn, "c" * 64) is None
            assert registry.code_owners(conn, {"001", "002"}) == {"001": "catl"}

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
        with write_connection(engine) as conn, conn.begin():
            registry.insert_key(conn, _key("catl/2"))
            registry.insert_key(conn, _key("catl/1", at=T0 + timedelta(hours=1)))
            registry.insert_key(conn, _key("gem/1", "gem", platform_held=True), sealed_private_key=b"sealed")
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
        with write_connection(engine) as conn, conn.begin():
            registry.insert_key(conn, _key("catl/1"))
            registry.set_revoked(conn, "catl/1", revoked_at)
        with engine.connect() as conn:
            key = registry.get_keys(conn, ["catl/1"])["catl/1"]
        assert key.revoked_at == revoked_at
        assert key.valid_at(T0) and key.valid_at(revoked_at - timedelta(microseconds=1))
        assert not key.valid_at(revoked_at) and not key.valid_at(T0 - timedelta(microseconds=1))
        assert key.validity.refusal(revoked_at) == "key_revoked"

    def test_key_ids_by_prefix_take_the_prefix_literally(self, engine: Engine) -> None:
        _with_orgs(engine)
        with write_connection(engine) as conn, conn.begin():
            for key_id in ("catl/platform-1", "catl/platform-2", "catl/platformX1", "catl/1"):
                registry.insert_key(conn, _key(key_id))
        with engine.connect() as conn:
            assert registry.key_ids_starting(conn, "catl/platform-") == {"catl/platform-1", "catl/platform-2"}
            assert registry.key_ids_starting(conn, "catl/platform_") == set()  # `_` is no wildcard

    def test_sealed_keys_of_an_organisation_and_the_first_of_all(self, engine: Engine) -> None:
        _with_orgs(engine)
        with engine.connect() as conn:
            assert registry.first_sealed_key(conn) is None
        with write_connection(engine) as conn, conn.begin():
            registry.insert_key(conn, _key("gem/platform-2", "gem", platform_held=True), sealed_private_key=b"two")
            registry.insert_key(conn, _key("gem/platform-1", "gem", platform_held=True), sealed_private_key=b"one")
            registry.insert_key(conn, _key("gem/own", "gem"))
        with engine.connect() as conn:
            held = sorted(registry.platform_held_keys(conn, "gem"), key=lambda k: k.key_id)
            assert held == [
                registry.SealedKey("gem/platform-1", "gem", b"one"),
                registry.SealedKey("gem/platform-2", "gem", b"two"),
            ]
            assert registry.platform_held_keys(conn, "catl") == []
            assert registry.first_sealed_key(conn) == registry.SealedKey("gem/platform-1", "gem", b"one")


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
            registry.insert_key(conn, _key("gem/platform-1", "gem", platform_held=True), sealed_private_key=b"1")
            registry.insert_key(conn, _key("gem/platform-2", "gem", platform_held=True), sealed_private_key=b"2")
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
            assert snapshot.projections(conn) == [snapshot.ProjectionRow("P", {"code": "P"}, 1)]
        with engine.connect() as conn:
            assert chains.chain_head(conn, "P") == chains.ChainHead("catl", 1)
            assert chains.chain_head(conn, "Q") is None

    def test_an_empty_database_reads_as_an_empty_log(self, engine: Engine) -> None:
        with snapshot.snapshot(engine) as conn:
            assert snapshot.log_size(conn) == 0
            assert list(snapshot.entry_chunks(conn, 10)) == []
            assert snapshot.checkpoints(conn) == []
            assert conn.execute(select(snapshot.PACK.c.code)).all() == []
