"""Bytes per entry for capacity planning (docs/operations.md §9): grow a ledger through a pack life that a
province sees (produced, shipped, received, installed: four entries a pack, each with its checkpoint and
projections), and measure what the database takes on disk per entry, as the difference between two sizes so
the fixed overhead (tables, the registry) drops out.

    python bench/bench_storage.py                    # SQLite in a temporary directory
    python bench/bench_storage.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

SQLite: the database file after a WAL checkpoint (TRUNCATE), i.e. `ls -l packtrace.db` on a quiet server.
PostgreSQL: the sum of pg_total_relation_size (tables, indexes, TOAST) over the log's schema after VACUUM,
i.e. what `SELECT pg_database_size(current_database())` grows by.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from events.codes import make_code  # noqa: E402
from events.orgs import Org, Role  # noqa: E402
from events.vin import vin_with_check_digit  # noqa: E402
from ledger.format.logkey import LogSigner  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.store.db import make_engine, normalise_url  # noqa: E402
from tests.support import PRODUCED, T0, add_actors  # noqa: E402

BATCH = 500  # packs per round: 4 appends of BATCH claims each


def grow(ledger: Ledger, actors: dict[str, object], first: int, packs: int) -> None:
    maker, automaker = actors["catl"], actors["byd-auto"]
    for start in range(first, first + packs, BATCH):
        codes = [make_code("001", "pack", "B", "12", "ABCDEFG", T0.date(), s) for s in range(start, start + BATCH)]
        ledger.append([maker.claim(c, "produced", PRODUCED) for c in codes])  # type: ignore[attr-defined]
        ledger.append([maker.claim(c, "shipped", {"to": "byd-auto", "waybill": f"SF{start}"}) for c in codes])  # type: ignore[attr-defined]
        ledger.append([automaker.claim(c, "received", {"from": "catl"}) for c in codes])  # type: ignore[attr-defined]
        vins = [vin_with_check_digit(f"LSJA24U6{n % 10}MS{n:06d}") for n in range(start, start + BATCH)]
        ledger.append([automaker.claim(c, "installed", {"vin": v}) for c, v in zip(codes, vins, strict=True)])  # type: ignore[attr-defined]


def sqlite_bytes(engine: object, path: Path) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def pg_bytes(url: str, schema: str) -> int:
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"SET search_path = {schema}"))
        conn.execute(text("VACUUM"))
        total = conn.execute(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind IN ('r', 'm')"
            ),
            {"s": schema},
        ).scalar_one()
    admin.dispose()
    return int(total)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", help="PostgreSQL server URL (a schema of its own is made and dropped)")
    parser.add_argument("--packs", type=int, default=5_000, help="packs per measured step (4 entries each)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        if args.pg:
            admin = create_engine(normalise_url(args.pg))
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            engine = make_engine(args.pg, schema=schema)
            measure = lambda: pg_bytes(args.pg, schema)  # noqa: E731
        else:
            path = Path(tmp) / "packtrace.db"
            engine = make_engine(f"sqlite:///{path}")
            measure = lambda: sqlite_bytes(engine, path)  # noqa: E731
        try:
            ledger = Ledger(engine, LogSigner("bench.example/packtrace", Ed25519PrivateKey.generate()))
            ledger.init()
            actors = add_actors(
                ledger,
                [
                    Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"})),
                    Org("byd-auto", "比亚迪汽车", frozenset({Role.AUTOMAKER})),
                ],
            )
            grow(ledger, actors, 0, args.packs)
            size1, bytes1 = ledger.size(), measure()
            grow(ledger, actors, args.packs, args.packs)
            size2, bytes2 = ledger.size(), measure()
            ledger.close()
            engine.dispose()
        finally:
            if args.pg:
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()
    per_entry = (bytes2 - bytes1) / (size2 - size1)
    backend = "PostgreSQL" if args.pg else "SQLite"
    print(f"{backend}: {size1} entries {bytes1:,} B; {size2} entries {bytes2:,} B; {per_entry:,.0f} B per entry")


if __name__ == "__main__":
    main()
