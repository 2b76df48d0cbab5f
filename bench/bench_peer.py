"""packtrace beside a peer (issue 18): the `eventsourcing` library on the same SQLite, with the same events.

    python bench/bench_peer.py            # 5 interleaved rounds of 10 batches each
    python bench/bench_peer.py --quick    # smoke run: 3 rounds of 2 batches (well under a minute)

Needs the bench extra (`pip install -e '.[bench]'`: eventsourcing, and PyNaCl for the libsodium rate).

Each round appends the same number of 1,000-event batches to both, in alternating order:
- packtrace: in-process `Ledger.append` of pre-signed `produced` claims for new packs (signature checks,
  domain rules, hash chain, Merkle tree, checkpoint; durable commit, `synchronous=FULL`);
- eventsourcing 9.5 (`eventsourcing.sqlite`, WAL, the driver's default `synchronous=FULL`): one
  `Application.save` of 1,000 new aggregates, each created by one event carrying the same fields as the
  claim (pack, type, at, actor, key, data, sig). No signatures, no Merkle tree.
The figure is the median of the rounds' ratios packtrace ÷ eventsourcing. Beside it: the one-core Ed25519
verify rates of `cryptography` (OpenSSL) and libsodium (PyNaCl) over the same claim bytes, and of the
verifier packtrace uses (ledger.format.ed25519, where present). Prints a table, writes
bench/results/peer.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ledger import BATCH, Workload, fresh_ledger  # noqa: E402
from ledger.format.canonical import canonical  # noqa: E402
from ledger.format.claims import new_claim  # noqa: E402
from tests.support import PRODUCED, T0  # noqa: E402

console = Console()


def verify_rates(n: int) -> dict[str, float]:
    """One-core verifications per second of the same `n` claim signatures by each library."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    messages = [
        canonical(
            new_claim(
                pack=f"001PB12ABCDEFGE9P{i:07d}", type="produced", actor="catl", key="catl/1", data=PRODUCED, at=T0
            )
        )
        for i in range(n)
    ]
    jobs = [(m, key.sign(m)) for m in messages]
    rates: dict[str, float] = {}
    start = time.perf_counter()
    for m, s in jobs:
        public.verify(s, m)
    rates["cryptography"] = n / (time.perf_counter() - start)
    try:
        from nacl.signing import VerifyKey
    except ImportError:
        return rates
    verify_key = VerifyKey(raw)
    start = time.perf_counter()
    for m, s in jobs:
        verify_key.verify(m, s)
    rates["libsodium"] = n / (time.perf_counter() - start)
    try:
        from ledger.format import ed25519  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return rates
    start = time.perf_counter()
    for m, s in jobs:
        if not ed25519.verify(raw, s, m):
            raise AssertionError("packtrace's verifier refused a valid signature")
    rates[f"packtrace verifier ({ed25519.LIBRARY})"] = n / (time.perf_counter() - start)
    return rates


def eventsourcing_app(path: str) -> tuple[Any, type]:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Pack(Aggregate):  # type: ignore[misc]
        @event("Produced")  # type: ignore[misc]
        def __init__(self, pack: str, type: str, at: str, actor: str, key: str, data: dict[str, Any], sig: str):
            self.pack, self.type, self.at, self.actor, self.key, self.data, self.sig = (
                pack,
                type,
                at,
                actor,
                key,
                data,
                sig,
            )

    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path})
    return app, Pack


def eventsourcing_rate(app: Any, pack_type: type, batches: list[list[tuple[dict[str, Any], str]]]) -> float:
    start = time.perf_counter()
    for items in batches:
        aggregates = [
            pack_type(c["pack"], c["type"], c["at"], c["actor"], c["key"], c["data"], sig) for c, sig in items
        ]
        app.save(*aggregates)
    return len(batches) * BATCH / (time.perf_counter() - start)


def packtrace_rate(ledger: Any, batches: list[list[tuple[dict[str, Any], str]]]) -> float:
    start = time.perf_counter()
    for items in batches:
        ledger.append(items)
    return len(batches) * BATCH / (time.perf_counter() - start)


def peer(tmp: str, batches: int, rounds: int) -> dict[str, Any]:
    ledger = fresh_ledger(f"sqlite:///{tmp}/packtrace.db")
    work = Workload(ledger)
    app, pack_type = eventsourcing_app(f"{tmp}/eventsourcing.db")
    warm = work.batch(BATCH)  # untimed, the same events on both sides too
    ledger.append(warm)  # starts the signature worker, warms the file
    eventsourcing_rate(app, pack_type, [warm])  # creates the tables, warms the file
    rates: dict[str, list[float]] = {"packtrace": [], "eventsourcing": []}
    for round_ in range(rounds):
        # the same events for both (fresh packs for packtrace; the same claims as new aggregates there)
        prepared = [work.batch(BATCH) for _ in range(batches)]
        order = ["packtrace", "eventsourcing"] if round_ % 2 == 0 else ["eventsourcing", "packtrace"]
        for name in order:
            if name == "packtrace":
                rates[name].append(packtrace_rate(ledger, prepared))
            else:
                rates[name].append(eventsourcing_rate(app, pack_type, prepared))
    ledger.close()
    ledger.engine.dispose()
    app.close()
    ratios = [p / e for p, e in zip(rates["packtrace"], rates["eventsourcing"], strict=True)]
    return {
        "packtrace_per_s": statistics.median(rates["packtrace"]),
        "eventsourcing_per_s": statistics.median(rates["eventsourcing"]),
        "ratio_packtrace_to_eventsourcing": statistics.median(ratios),
        "ratios": ratios,
        "rates": rates,
        "batches_per_round": batches,
        "target": 0.5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run (CI)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (median; default 5)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "peer.json")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 5)
    batches = 2 if args.quick else 10
    verify_n = 1000 if args.quick else 5000

    from importlib.metadata import version

    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}, "eventsourcing": version("eventsourcing")}
    before = verify_rates(verify_n)
    with tempfile.TemporaryDirectory() as tmp:
        results["peer"] = peer(tmp, batches, rounds)
    after = verify_rates(verify_n)
    results["verify_one_core"] = {name: (before[name] + after[name]) / 2 for name in before}

    table = Table(title="packtrace beside eventsourcing on SQLite (ratios measured in this run)")
    for column in ("figure", "value", "ratio", "target"):
        table.add_column(column)
    crypto = results["verify_one_core"]["cryptography"]
    for name, rate in results["verify_one_core"].items():
        table.add_row(f"Ed25519 verify, one core: {name}", f"{rate:,.0f}/s", f"{rate / crypto:.2f} × cryptography", "")
    r = results["peer"]
    table.add_row(
        f"eventsourcing {results['eventsourcing']}: 1,000 new aggregates a save (baseline)",
        f"{r['eventsourcing_per_s']:,.0f}/s",
        "1.00",
        "",
    )
    table.add_row(
        "packtrace: in-process signed batch append (1,000/batch)",
        f"{r['packtrace_per_s']:,.0f}/s",
        f"{r['ratio_packtrace_to_eventsourcing']:.2f} × eventsourcing (median; rounds "
        + ", ".join(f"{x:.2f}" for x in r["ratios"])
        + ")",
        "≥ 0.50",
    )
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    console.print(f"written {args.out}")


if __name__ == "__main__":
    main()
