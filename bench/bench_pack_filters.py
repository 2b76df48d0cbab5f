"""The pack list's filters (`GET /v1/packs`) on N packs: no filter, `manufacturer`, `flag`, `batch`, as the
store runs them (ledger.store.packrows.find_packs), median of 5 runs each.

    python bench/bench_pack_filters.py                          # 5,000 packs on SQLite
    python bench/bench_pack_filters.py --packs 100000 --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

Rows go straight into the pack and entry tables (no signatures: this measures the read): each pack has a
`produced` entry recording its batch (300 packs a batch) and three more entries, 1 % of them an
`incident`. A PostgreSQL run uses a fresh schema and drops it afterwards. docs/integration.md ("Finding
makers") holds the figures measured.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events.state import Binding, PackState
from ledger.store import packrows
from ledger.store.db import create_schema, make_engine
from ledger.store.packrows import PackFilter
from ledger.store.schema import Entry, Pack
from tests.conftest import fresh_postgres_schema

BATCH = 300
CHUNK = 5_000
AT = "2024-01-01T00:00:00Z"


def _code(maker: str, serial: int) -> str:
    return f"{maker}PB12TRACE01A11{serial:07d}"


def _entry(idx: int, pack: str, seq: int, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    body = {"index": idx, "claim": {"pack": pack, "type": kind, "at": AT, "actor": "catl", "data": data}}
    return {"idx": idx, "pack": pack, "seq": seq, "hash": "0" * 64, "actor": "catl", "claim_id": f"c{idx}",
            "type": kind, "at": AT, "recorded_at": "2024-01-01T00:00:00.000000Z",
            "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()}  # fmt: skip


def fill(engine: Engine, count: int) -> None:
    create_schema(engine)
    chance = random.Random(1)
    packs, entries = [], []
    for n in range(count):
        maker = ("001", "0RJ", "03U")[n % 3]
        code = _code(maker, n)
        producer = "catl" if maker != "03U" else "fd"
        vehicle = (Binding("vin", "LSJA24U64MS000001", AT),)
        state = PackState(code, "in_vehicle", "byd", producer, maker, "LFP", date(2024, 1, 1), 60.0, bindings=vehicle)
        packs.append({"code": code, "status": state.status, "custodian": state.custodian,
                      "manufacturer": state.manufacturer, "maker_code": maker, "chemistry": "LFP",
                      "production_date": state.production_date, "vin": None, "head": "0" * 64, "seq": 3,
                      "last_index": 0, "state": state.to_dict()})  # fmt: skip
        entries.append(_entry(len(entries), code, 0, "produced", {"chemistry": "LFP", "batch": f"B{n // BATCH}"}))
        for seq, kind in enumerate(("shipped", "received", "installed"), start=1):
            incident = seq == 3 and chance.random() < 0.01
            entries.append(_entry(len(entries), code, seq, "incident" if incident else kind, {}))
    with engine.begin() as conn:
        for start in range(0, len(packs), CHUNK):
            conn.execute(Pack.__table__.insert(), packs[start : start + CHUNK])  # type: ignore[attr-defined]
        for start in range(0, len(entries), CHUNK):
            conn.execute(Entry.__table__.insert(), entries[start : start + CHUNK])  # type: ignore[attr-defined]
        conn.execute(text("ANALYZE"))


CASES = [
    ("no filter", PackFilter(), 100),
    ("manufacturer (id or codes)", PackFilter(manufacturer="catl", maker_codes=("001", "0RJ")), 100),
    ("flag=incident", PackFilter(flag="incident"), 100),
    (f"batch=B3 ({BATCH} packs)", PackFilter(batch="B3"), 1_000),
    ("batch naming no pack", PackFilter(batch="none"), 100),
    ("batch=B3 and flag=incident", PackFilter(batch="B3", flag="incident"), 100),
]


@contextmanager
def database(pg: str | None) -> Iterator[str]:
    if pg:
        with fresh_postgres_schema(pg, "bench") as url:
            yield url
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packs", type=int, default=5_000)
    parser.add_argument("--pg", help="a PostgreSQL server URL (default: SQLite in a temporary file)")
    args = parser.parse_args()
    with database(args.pg) as url:
        engine = make_engine(url)
        started = time.perf_counter()
        fill(engine, args.packs)
        print(f"{engine.dialect.name}: {args.packs:,} packs filled in {time.perf_counter() - started:.1f} s")
        for label, where, limit in CASES:
            runs = []
            for _ in range(5):
                with engine.connect() as conn:
                    started = time.perf_counter()
                    rows = packrows.find_packs(conn, where, after=None, limit=limit)
                    runs.append(time.perf_counter() - started)
            print(f"  {label:30s} {statistics.median(runs) * 1000:8.1f} ms  {len(rows):5d} packs")
        engine.dispose()


if __name__ == "__main__":
    main()
