"""The store's append path and the log's reads (ledger.store.appending, .head, .logreads), on each backend:
what is written comes back as the same named records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert

from events.errors import NotFoundError
from events.state import Binding, PackState
from events.timestamps import format_recorded_at
from ledger.format import merkle
from ledger.format.canonical import entry_hash
from ledger.format.claims import SignedClaim, new_claim, parse_claim, sign_claim
from ledger.store import appending, head, logreads
from ledger.store.appending import EntryRow, RecordedClaim, StoredPack
from ledger.store.db import write_connection
from ledger.store.logreads import LoggedEntry, PackHead, StoredCheckpoint
from ledger.store.schema import ORG, ORG_KEY
from tests.support import PRODUCED, T0, code

RECORDED = datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=UTC)
PRIVATE = Ed25519PrivateKey.generate()


def signed_claims(n: int, *, actor: str = "catl") -> list[SignedClaim]:
    claims = [
        new_claim(pack=code(i), type="produced", actor=actor, key=f"{actor}/1", data=PRODUCED, at=T0) for i in range(n)
    ]
    return [parse_claim(claim, sign_claim(claim, PRIVATE)) for claim in claims]


def entry_rows(claims: list[SignedClaim], first: int = 0) -> list[EntryRow]:
    """One entry per claim, seq 0 of its pack (the bytes are the claim's: the store does not read them)."""
    recorded_at = format_recorded_at(RECORDED)
    return [
        (
            first + n,
            sc.pack,
            0,
            entry_hash(sc.claim_bytes),
            sc.actor,
            sc.id,
            sc.type,
            sc.claim["at"],
            recorded_at,
            sc.claim_bytes,
        )
        for n, sc in enumerate(claims)
    ]


def write_entries(engine: Engine, claims: list[SignedClaim]) -> list[EntryRow]:
    rows = entry_rows(claims)
    with write_connection(engine) as conn, conn.begin():
        head.claim_head(conn, "test/log")
        appending.insert_entries(conn, rows)
        head.set_size(conn, len(rows))
    return rows


def pack_state(serial: int, *, vin: str | None = None) -> PackState:
    bindings = (Binding("vin", vin, "2026-03-01T08:00:00Z"),) if vin else ()
    return PackState(code(serial), "produced", "catl", "catl", "001", "LFP", T0.date(), 60.0, bindings=bindings)


class AppendStoreContract:
    def test_entries_written_are_read_back_by_index_and_by_pack(self, engine: Engine) -> None:
        rows = write_entries(engine, signed_claims(3))
        with engine.connect() as conn:
            assert logreads.entries(conn, 1, 5) == [LoggedEntry(r[0], r[3], r[9]) for r in rows[1:]]
            assert logreads.pack_entries(conn, code(2)) == [LoggedEntry(2, rows[2][3], rows[2][9])]
            assert logreads.pack_entries(conn, code(2), start=1) == []
            assert logreads.pack_entries(conn, code(2), limit=0) == []
            assert head.last_recorded_at(conn, 3) == format_recorded_at(RECORDED)
            assert head.last_recorded_at(conn, 0) is None

    def test_claims_recorded_are_found_by_actor_and_claim_id(self, engine: Engine) -> None:
        claims = signed_claims(3)
        rows = write_entries(engine, claims[:2])
        with engine.connect() as conn:
            found = appending.recorded_claims(conn, claims)
            other = appending.recorded_claims(conn, signed_claims(1, actor="byd-auto"))
        pairs = zip(claims[:2], rows, strict=True)
        expected = {(sc.actor, sc.id): RecordedClaim(r[0], r[2], r[3], r[9]) for sc, r in pairs}
        assert found == expected
        assert other == {}

    def test_a_corrected_entry_is_found_within_its_pack(self, engine: Engine) -> None:
        rows = write_entries(engine, signed_claims(2))
        with engine.connect() as conn:
            found = appending.target_entry(conn, code(1), rows[1][3])
            assert found == appending.TargetEntry(rows[1][0], "catl", rows[1][6], rows[1][9])
            assert appending.target_entry(conn, code(0), rows[1][3]) is None  # another pack's entry
        assert appending.staged_target(rows, code(0), rows[0][3]) == appending.TargetEntry(
            rows[0][0], "catl", rows[0][6], rows[0][9]
        )
        assert appending.staged_target(rows, code(1), rows[0][3]) is None

    def test_signing_keys_read_owner_public_key_and_validity(self, engine: Engine) -> None:
        public = PRIVATE.public_key().public_bytes_raw()
        revoked = T0 + timedelta(days=2, microseconds=7)
        with write_connection(engine) as conn, conn.begin():
            conn.execute(
                insert(ORG).values(
                    id="catl",
                    name="CATL",
                    roles=["manufacturer"],
                    manufacturer_codes=["001"],
                    whitelisted=False,
                    whitelist=[],
                    created_at=T0,
                )
            )
            for key_id, revoked_at in (("catl/1", None), ("catl/2", revoked)):
                conn.execute(
                    insert(ORG_KEY).values(
                        key_id=key_id,
                        org="catl",
                        public_key=public,
                        valid_from=T0,
                        revoked_at=revoked_at,
                        platform_held=False,
                    )
                )
        with engine.connect() as conn:
            keys = appending.signing_keys(conn, {"catl/1", "catl/2", "catl/9"})
            assert appending.signing_keys(conn, ["catl/\x00"]) == {}  # no key id holds a NUL
        assert set(keys) == {"catl/1", "catl/2"}
        assert (keys["catl/1"].org, keys["catl/1"].public_key) == ("catl", public)
        assert (keys["catl/1"].validity.valid_from, keys["catl/1"].validity.revoked_at) == (T0, None)
        assert keys["catl/2"].validity.revoked_at == revoked
        assert keys["catl/2"].validity.refusal(revoked) == "key_revoked"

    def test_packs_written_are_loaded_inserted_then_updated(self, engine: Engine) -> None:
        first, installed = pack_state(1), pack_state(1, vin="LSVAU2180N2183294")
        with write_connection(engine) as conn, conn.begin():
            appending.write_packs(conn, [(code(1), first, "a" * 64, 0, 0)], existed=set())
        with write_connection(engine) as conn, conn.begin():
            assert appending.packs(conn, [code(1), code(2)]) == [StoredPack(code(1), first, "a" * 64, 0)]
            appending.write_packs(conn, [(code(1), installed, "b" * 64, 1, 5)], existed={code(1)})
        with engine.connect() as conn:
            assert appending.packs(conn, [code(1)]) == [StoredPack(code(1), installed, "b" * 64, 1)]
            assert logreads.pack_state(conn, code(1)) == installed
            assert logreads.pack_head(conn, code(1)) == PackHead("b" * 64, 1, 5)
            assert logreads.pack_head(conn, code(2)) is None

    def test_merkle_nodes_give_the_frontier_and_proofs(self, engine: Engine) -> None:
        leaves = [merkle.leaf_hash(bytes([n])) for n in range(5)]
        nodes, frontier = merkle.append_leaves(0, [], leaves)
        with write_connection(engine) as conn, conn.begin():
            head.claim_head(conn, "test/log")
            appending.insert_nodes(conn, nodes)
            head.set_size(conn, 5)
        with engine.connect() as conn:
            assert appending.frontier(conn, 5) == frontier
            assert appending.frontier(conn, 0) == []
            proof = logreads.proof_hashes(conn, merkle.inclusion_ranges(3, 5), 5, None)
            merkle.verify_inclusion(leaves[3], 3, 5, proof, merkle.root(leaves))
            with pytest.raises(NotFoundError, match="tree size 6 is beyond the log's size 5"):
                logreads.proof_hashes(conn, merkle.inclusion_ranges(3, 6), 6, 5)

    def test_checkpoints_written_are_read_back(self, engine: Engine) -> None:
        with write_connection(engine) as conn, conn.begin():
            appending.insert_checkpoint(conn, 1, b"\x01" * 32, "note one", RECORDED)
            appending.insert_checkpoint(conn, 2, b"\x02" * 32, "note two", RECORDED)
        with engine.connect() as conn:
            assert logreads.latest_checkpoint(conn) == StoredCheckpoint(2, b"\x02" * 32, "note two")
            assert logreads.checkpoint_at(conn, 1) == StoredCheckpoint(1, b"\x01" * 32, "note one")
            assert logreads.checkpoint_at(conn, 3) is None

    def test_the_log_head_is_claimed_once_locked_and_advanced(self, engine: Engine) -> None:
        with write_connection(engine) as conn, conn.begin():
            with pytest.raises(RuntimeError, match="not initialised"):
                head.lock(conn)
            assert head.claim_head(conn, "test/log") == "test/log"
            assert head.claim_head(conn, "other/log") == "test/log"  # the database keeps its log
            assert head.lock(conn) == 0
            head.set_size(conn, 7)
        with write_connection(engine) as conn, conn.begin():
            assert head.lock(conn) == 7
        with engine.connect() as conn:
            assert head.size(conn) == 7
