"""Every issue-18 throughput figure beside its baseline, measured in one run, interleaved (bench/README in
docs/performance.md): one entry point, one JSON.

    python bench/bench_scale.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test     # a few minutes
    python bench/bench_scale.py --quick --pg …                                             # smoke, < 60 s (CI)

Figures (each a median of per-round ratios; the two sides alternate their order from round to round, so
both see the same load from whatever else runs on the machine):
  1. in-process signed batch append on SQLite ÷ the `eventsourcing` library's unsigned append of the same
     events (bench/bench_peer.py; needs the bench extra) — target ≥ 0.5;
  2. `POST /v1/events/batch` over HTTP (1,000 claims a request, one server on SQLite) ÷ the in-process
     batch append on SQLite — target ≥ 0.8;
  3. PostgreSQL in-process batch append ÷ SQLite's — target ≥ 0.8;
  4. single `POST /v1/events`, 8 keep-alive connections ÷ a minimal FastAPI POST served the same way
     (uvicorn, one process; the load from bench/loadgen.py, its own process) — target ≥ 0.7;
  5. the packtrace server's resident memory (its process and its children), sampled through 2 and 4 —
     target < 1 GiB.
Also the one-core Ed25519 verify rates (cryptography, libsodium, packtrace's verifier) before and after.
The smoke fails (exit 1) when a figure cannot be produced; it never checks the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_api import MINIMAL_APP, free_port  # noqa: E402
from bench.bench_ledger import BATCH, Workload, fresh_ledger, pg_schema_url  # noqa: E402
from bench.bench_peer import peer, verify_rates  # noqa: E402
from ledger.format.logkey import LogSigner, load_or_create_key  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.store.db import make_engine  # noqa: E402

console = Console()
PYTHON = sys.executable
ORIGIN = "127.0.0.1:8000/packtrace"
Batches = list[list[tuple[dict[str, Any], str]]]


def served_database(tmp: Path) -> tuple[dict[str, str], Workload]:
    """A SQLite ledger in `tmp` for a `packtrace serve` to open (the environment naming it) and the workload
    whose claims its registered maker signs; the ledger is closed again, for the server to own."""
    db, key_file = tmp / "served.db", tmp / "log.key"
    env = {
        "PACKTRACE_DATABASE_URL": f"sqlite:///{db}",
        "PACKTRACE_LOG_KEY_FILE": str(key_file),
        "PACKTRACE_PUBLIC_URL": "http://127.0.0.1:8000",
    }
    served = Ledger(make_engine(env["PACKTRACE_DATABASE_URL"]), LogSigner(ORIGIN, load_or_create_key(key_file)))
    served.init()
    work = Workload(served)
    served.close()
    served.engine.dispose()
    return env, work


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its descendants (Linux /proc)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += rss_bytes(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


class RssSampler:
    """The peak of `rss_bytes(pid)`, sampled every 0.2 s while running."""

    def __init__(self) -> None:
        self.peak = 0
        self.pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            if self.pid is not None:
                self.peak = max(self.peak, rss_bytes(self.pid))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def server(args: list[str], env: dict[str, str], port: int) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (closed in finally)
    proc = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                break
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            proc.poll()
        if proc.returncode is not None or not _answers(base):
            log.seek(0)
            raise RuntimeError(f"server {' '.join(args[2:4])} did not start: {log.read()[-2000:]}")
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).status_code < 500
    except httpx.HTTPError:
        return False


def load(
    port: int,
    requests: list[tuple[str, str, str, dict[str, str]]],
    seconds: float,
    tmp: Path,
    *,
    connections: int = 8,
) -> dict[str, Any]:
    path = tmp / f"requests-{port}.json"
    path.write_text(json.dumps(requests))
    out = subprocess.run(
        [
            PYTHON,
            str(ROOT / "bench" / "loadgen.py"),
            str(port),
            str(path),
            "--seconds",
            str(seconds),
            "--connections",
            str(connections),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    if not result["requests"]:
        raise RuntimeError(f"the load generator completed no request on port {port}")
    return result


def timed(append: Callable[[list[tuple[dict[str, Any], str]]], None], batches: Batches) -> float:
    start = time.perf_counter()
    for items in batches:
        append(items)
    return len(batches) * BATCH / (time.perf_counter() - start)


def interleaved(sides: dict[str, Callable[[], float]], rounds: int) -> dict[str, Any]:
    """`rounds` rounds of both sides, alternating which goes first; the median of the per-round ratios
    first ÷ second (the order of `sides`)."""
    names = list(sides)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            rates[name].append(sides[name]())
    ratios = [a / b for a, b in zip(rates[names[0]], rates[names[1]], strict=True)]
    return {
        f"{names[0]}_per_s": statistics.median(rates[names[0]]),
        f"{names[1]}_per_s": statistics.median(rates[names[1]]),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "rates": rates,
    }


def postgres_vs_sqlite(tmp: Path, pg: str, batches: int, rounds: int) -> dict[str, Any]:
    url, drop = pg_schema_url(pg)
    try:
        sqlite, postgres = fresh_ledger(f"sqlite:///{tmp}/sqlite-side.db"), fresh_ledger(url)
        work = {"postgresql": Workload(postgres), "sqlite": Workload(sqlite)}
        ledgers = {"postgresql": postgres, "sqlite": sqlite}
        for name, ledger in ledgers.items():  # warm: the signature worker, the tables
            ledger.append(work[name].batch(BATCH))
        with postgres.engine.connect() as conn:  # what autovacuum does within a minute of the first rows:
            conn.exec_driver_sql("ANALYZE")  # without statistics the idempotency lookup reads every entry
            conn.commit()  # of the actor (docs/performance.md, the append path, step 5)

        def side(name: str) -> Callable[[], float]:
            return lambda: timed(ledgers[name].append, [work[name].batch(BATCH) for _ in range(batches)])

        result = interleaved({"postgresql": side("postgresql"), "sqlite": side("sqlite")}, rounds)
        for ledger in ledgers.values():
            ledger.close()
            ledger.engine.dispose()
        return result
    finally:
        drop()


def http_figures(tmp: Path, batches: int, rounds: int, seconds: float, sampler: RssSampler) -> dict[str, Any]:
    """Figures 2, 4 and 5: one packtrace server on SQLite, an in-process ledger beside it, the minimal app."""
    (tmp / "minimal_app.py").write_text(MINIMAL_APP)
    sample = json.dumps({"claim": {"v": 1, "pad": "x" * 480}, "sig": "y" * 88})
    json_headers = {"Content-Type": "application/json"}

    def minimal_post() -> dict[str, Any]:
        port = free_port()
        args = [PYTHON, "-m", "uvicorn", "--app-dir", str(tmp), "minimal_app:app", "--port", str(port)]
        with server(args, {}, port):
            return load(port, [("POST", "/echo", sample, json_headers)] * 200_000, seconds, tmp)

    env, http_work = served_database(tmp)
    headers = {**json_headers, "Authorization": f"Bearer {http_work.maker.token}"}
    local = fresh_ledger(f"sqlite:///{tmp}/in-process.db")
    local_work = Workload(local)
    local.append(local_work.batch(BATCH))

    results: dict[str, Any] = {"minimal_post_before": minimal_post()}
    port = free_port()
    with server([PYTHON, "-m", "api.cli", "serve", "--port", str(port)], env, port) as (base, proc):
        sampler.pid = proc.pid
        with httpx.Client(base_url=base, headers=headers, timeout=300) as client:

            def encode(items: list[tuple[dict[str, Any], str]]) -> bytes:
                return json.dumps({"events": [{"claim": c, "sig": s} for c, s in items]}).encode()

            def post(body: bytes) -> None:
                response = client.post("/v1/events/batch", content=body)
                if response.status_code != 201:
                    raise RuntimeError(f"POST /v1/events/batch: {response.status_code} {response.text[:300]}")

            post(encode(http_work.batch(BATCH)))  # warm: the server's signature worker, the tables

            def http_side() -> float:  # the bodies encoded before the clock starts, as the claims are signed
                bodies = [encode(http_work.batch(BATCH)) for _ in range(batches)]
                start = time.perf_counter()
                for body in bodies:
                    post(body)
                return batches * BATCH / (time.perf_counter() - start)

            def local_side() -> float:
                return timed(local.append, [local_work.batch(BATCH) for _ in range(batches)])

            results["batch"] = interleaved({"http": http_side, "in_process": local_side}, rounds)
        expected = int(results["minimal_post_before"]["rps"] * seconds) + 500
        singles = [
            ("POST", "/v1/events", json.dumps({"claim": c, "sig": s}), headers) for c, s in http_work.batch(expected)
        ]
        results["single_post"] = load(port, singles, seconds, tmp)
        sampler.pid = None
    local.close()
    local.engine.dispose()
    results["minimal_post_after"] = minimal_post()
    minimal = (results["minimal_post_before"]["rps"] + results["minimal_post_after"]["rps"]) / 2
    results["single_post"]["minimal_rps_around"] = minimal
    results["single_post"]["ratio_to_minimal"] = results["single_post"]["rps"] / minimal
    results["server_rss_peak_bytes"] = sampler.peak
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run (CI): under a minute, figures not judged")
    parser.add_argument(
        "--pg", default=os.environ.get("PACKTRACE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds per figure (default 5; quick 2)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    batches = 1 if args.quick else 5
    seconds = 1.5 if args.quick else 10.0
    started = time.perf_counter()

    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}, "quick": args.quick, "rounds": rounds}
    before = verify_rates(500 if args.quick else 5000)
    sampler = RssSampler()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            phases = results["phase_seconds"] = {}
            t0 = time.perf_counter()
            results["peer"] = peer(str(tmp), batches, rounds)
            phases["peer"], t0 = time.perf_counter() - t0, time.perf_counter()
            results["postgres_vs_sqlite"] = postgres_vs_sqlite(tmp, args.pg, batches, rounds)
            phases["postgres_vs_sqlite"], t0 = time.perf_counter() - t0, time.perf_counter()
            results.update(http_figures(tmp, batches, rounds, seconds, sampler))
            phases["http"] = time.perf_counter() - t0
    finally:
        sampler.stop()
    after = verify_rates(500 if args.quick else 5000)
    results["verify_one_core"] = {name: (before[name] + after[name]) / 2 for name in before}
    results["seconds"] = time.perf_counter() - started

    rows = figures(results)
    table = Table(title="issue 18 figures, each beside its baseline measured in this run")
    for column in ("figure", "value", "baseline", "ratio", "target"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    console.print(f"written {args.out} ({results['seconds']:.0f} s)")


def figures(r: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The table's rows; a KeyError here means a figure was not produced (the smoke fails on it)."""
    p, pg, b, s = r["peer"], r["postgres_vs_sqlite"], r["batch"], r["single_post"]
    crypto = r["verify_one_core"]["cryptography"]
    rows = [
        (f"Ed25519 verify, one core: {name}", f"{rate:,.0f}/s", "cryptography", f"{rate / crypto:.2f}", "")
        for name, rate in r["verify_one_core"].items()
    ]

    def spread(ratios: list[float]) -> str:
        return " (rounds " + ", ".join(f"{x:.2f}" for x in ratios) + ")"

    rows += [
        ("1. SQLite in-process signed batch append", f"{p['packtrace_per_s']:,.0f}/s",
         f"eventsourcing {p['eventsourcing_per_s']:,.0f}/s", f"{p['ratio_packtrace_to_eventsourcing']:.2f}"
         + spread(p["ratios"]), "≥ 0.50"),
        ("2. POST /v1/events/batch over HTTP", f"{b['http_per_s']:,.0f}/s",
         f"in-process batch {b['in_process_per_s']:,.0f}/s", f"{b['ratio']:.2f}" + spread(b["ratios"]), "≥ 0.80"),
        ("3. PostgreSQL batch append", f"{pg['postgresql_per_s']:,.0f}/s", f"SQLite {pg['sqlite_per_s']:,.0f}/s",
         f"{pg['ratio']:.2f}" + spread(pg["ratios"]), "≥ 0.80"),
        ("4. single POST /v1/events, 8 connections", f"{s['rps']:,.0f} req/s ({s['non2xx']} non-2xx)",
         f"minimal FastAPI POST {s['minimal_rps_around']:,.0f} req/s", f"{s['ratio_to_minimal']:.2f}", "≥ 0.70"),
        ("5. server RSS through 2 and 4 (peak)", f"{r['server_rss_peak_bytes'] / 2**20:,.0f} MiB", "1 GiB",
         f"{r['server_rss_peak_bytes'] / 2**30:.2f}", "< 1.00"),
    ]  # fmt: skip
    if not r["server_rss_peak_bytes"]:
        raise RuntimeError("the server's resident memory was never sampled")
    return rows


if __name__ == "__main__":
    main()
