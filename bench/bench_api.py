"""HTTP benchmarks (DESIGN §9), each a ratio to a baseline measured in the same run, load from `wrk`.

    python bench/bench_api.py            # full: pack-history GET at 1 M entries
    python bench/bench_api.py --quick    # smoke run

Figures:
  - single `POST /v1/events` (new, distinct signed claims) / a minimal FastAPI POST served the same way
    (uvicorn, one process, same wrk settings, a body of the same size): target ≥ 0.5;
  - batch ingest over HTTP (`POST /v1/events/batch`, 1,000 a request) / one-core Ed25519 verify rate;
  - `GET /v1/packs/{code}/events` latency percentiles with the database at `--entries` entries: p99 ≤ 20 ms.
Needs Debian's `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ledger import BATCH, Workload, baseline_verify_rate  # noqa: E402
from ledger.format.logkey import LogSigner, load_or_create_key  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.store.db import make_engine  # noqa: E402

console = Console()
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(args: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (closed in finally; a pipe would fill and stall the server)
    proc = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    last = ""
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code < 500:
                    break
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
        else:
            log.seek(0)
            raise RuntimeError(f"server did not answer ({last}): {log.read()[-2000:]}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def wrk(url: str, script: Path, seconds: int, connections: int = 8) -> dict[str, Any]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    statuses = {int(code): int(count) for code, count in re.findall(r"^status (\d+): (\d+)$", out, re.MULTILINE)}
    latency = {}
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)", out)
        if m:
            value, unit = float(m.group(1)), m.group(2)
            latency[pct] = value * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    return {
        "rps": rps,
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
        "p50_ms": latency.get("50", 0.0),
        "p99_ms": latency.get("99", 0.0),
        "non2xx_statuses": statuses,
    }


def lua_bodies(
    path: Path, method: str, bodies: list[str], paths: list[str], token: str | None, *, count_statuses: bool = False
) -> Path:
    """A wrk script cycling through prepared requests (each request distinct); with `count_statuses`,
    it also prints how many answers of each non-2xx status it saw."""

    def quote(text: str) -> str:
        return "[==[" + text + "]==]"

    headers = '{["Content-Type"]="application/json"' + (f', ["Authorization"]="Bearer {token}"' if token else "") + "}"
    lines = [
        "local bodies = {",
        *[quote(b) + "," for b in bodies],
        "}",
        "local paths = {",
        *[quote(p) + "," for p in paths],
        "}",
        "local i = 0",
        "request = function()",
        "  i = i + 1",
        "  local body = nil; if #bodies > 0 then body = bodies[(i - 1) % #bodies + 1] end",
        "  local p = paths[(i - 1) % #paths + 1]",
        f'  return wrk.format("{method}", p, {headers}, body)',
        "end",
    ]
    if count_statuses:  # a Lua callback per response slows wrk down: only where the statuses are wanted
        lines += [  # each wrk thread has its own Lua state: `done` collects the threads' tables
            "local threads = {}",
            "setup = function(thread) table.insert(threads, thread) end",
            "statuses = {}",
            "response = function(status, headers, body)",
            "  if status >= 300 then statuses[status] = (statuses[status] or 0) + 1 end",
            "end",
            "done = function(summary, latency, requests)",
            "  local total = {}",
            "  for _, thread in ipairs(threads) do",
            "    for status, count in pairs(thread:get('statuses')) do",
            "      total[status] = (total[status] or 0) + count",
            "    end",
            "  end",
            "  for status, count in pairs(total) do io.write(string.format('status %d: %d\\n', status, count)) end",
            "  io.write(string.format('socket errors: connect %d, read %d, write %d, timeout %d\\n',",
            "    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))",
            "end",
        ]
    path.write_text("\n".join(lines))
    return path


MINIMAL_APP = """
from fastapi import FastAPI
app = FastAPI()

@app.get("/healthz")
def healthz() -> dict:
    return {"ok": True}

@app.post("/echo", status_code=201)
def echo(body: dict) -> dict:
    return {"received": len(body)}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--entries", type=int, default=None, help="database size for the GET figure (default 1 M)")
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "api.json")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench_api needs wrk: apt-get install wrk")
    seconds = args.seconds or (3 if args.quick else 10)
    entries = args.entries or (20_000 if args.quick else 1_000_000)
    results: dict[str, Any] = {"seconds": seconds}
    verify_rate = baseline_verify_rate()
    results["baseline_ed25519_verify_per_s"] = verify_rate

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # baseline: a minimal FastAPI POST, served by uvicorn like packtrace
        (tmp / "minimal_app.py").write_text(MINIMAL_APP)

        def minimal_post() -> dict[str, Any]:
            port = free_port()
            # uvicorn's defaults, as `packtrace serve` uses them (access log included)
            with server(
                [PYTHON, "-m", "uvicorn", "--app-dir", str(tmp), "minimal_app:app", "--port", str(port)], {}, port
            ) as base:
                sample = json.dumps({"claim": {"v": 1, "pad": "x" * 480}, "sig": "y" * 88})
                script = lua_bodies(tmp / "minimal.lua", "POST", [sample], ["/echo"], None)
                return wrk(f"{base}/echo", script, seconds)

        baseline = minimal_post()
        results["minimal_post"] = baseline

        # packtrace: a ledger with one maker; distinct pre-signed claims for every request
        db = tmp / "bench.db"
        key_file = tmp / "log.key"
        env = {
            "PACKTRACE_DATABASE_URL": f"sqlite:///{db}",
            "PACKTRACE_LOG_KEY_FILE": str(key_file),
            "PACKTRACE_PUBLIC_URL": "http://127.0.0.1:8000",
        }
        ledger = Ledger(
            make_engine(env["PACKTRACE_DATABASE_URL"]),
            LogSigner("127.0.0.1:8000/packtrace", load_or_create_key(key_file)),
        )
        ledger.init()
        work = Workload(ledger)
        token = work.maker.token
        expected = int(baseline["rps"] * seconds * 1.2) + 1000
        singles = [json.dumps({"claim": c, "sig": s}) for c, s in work.batch(expected)]
        batches = [
            json.dumps({"events": [{"claim": c, "sig": s} for c, s in work.batch(BATCH)]})
            for _ in range(20 if not args.quick else 5)
        ]

        def serve(port: int) -> list[str]:
            return [PYTHON, "-m", "api.cli", "serve", "--port", str(port)]

        port = free_port()
        with server(serve(port), env, port) as base:
            script = lua_bodies(tmp / "single.lua", "POST", singles, ["/v1/events"], token)
            single = wrk(f"{base}/v1/events", script, seconds)
            with httpx.Client(
                base_url=base,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=120,
            ) as client:
                start = time.perf_counter()
                for body in batches:
                    response = client.post("/v1/events/batch", content=body)
                    assert response.status_code == 201, response.text[:300]
                elapsed = time.perf_counter() - start
            rate = len(batches) * BATCH / elapsed
            results["batch_http"] = {"per_s": rate, "ratio_to_verify": rate / verify_rate}
        # The machine's speed drifts within a run: the single POST is compared with the mean of minimal
        # POSTs measured right before and right after it.
        after = minimal_post()
        results["minimal_post_after"] = after
        minimal_rps = (baseline["rps"] + after["rps"]) / 2
        results["single_post"] = {
            **single,
            "minimal_rps_around": minimal_rps,
            "ratio_to_minimal": single["rps"] / minimal_rps,
            "target": 0.5,
        }

        # pack-history GET with the database grown to `entries`
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"growing the ledger to {entries:,} entries", total=entries)
            while ledger.size() + BATCH <= entries:
                ledger.append(work.batch(BATCH))
                bar.update(task, completed=ledger.size())
        # packs the runs above recorded (wrk stops when its time is up, so not every prepared claim was sent)
        with ledger.engine.connect() as conn:
            codes = [str(r[0]) for r in conn.exec_driver_sql("SELECT code FROM pack ORDER BY last_index LIMIT 2000")]
        ledger.close()
        ledger.engine.dispose()
        port = free_port()
        with server(serve(port), env, port) as base:
            script = lua_bodies(
                tmp / "get.lua", "GET", [], [f"/v1/packs/{c}/events" for c in codes], token, count_statuses=True
            )
            one = wrk(f"{base}/v1/packs/{codes[0]}/events", script, seconds, connections=1)
            got = wrk(f"{base}/v1/packs/{codes[0]}/events", script, seconds)
            results["history_get"] = {**got, "entries": entries, "target_p99_ms": 20.0, "one_client": one}

    table = Table(title="packtrace HTTP bench (ratios to baselines of this run)")
    for column in ("figure", "value", "ratio", "target"):
        table.add_column(column)
    table.add_row(
        "minimal FastAPI POST (baseline), before / after",
        f"{baseline['rps']:,.0f} / {results['minimal_post_after']['rps']:,.0f} req/s",
        "1.00",
        "",
    )
    s = results["single_post"]
    table.add_row(
        "POST /v1/events (distinct claims)",
        f"{s['rps']:,.0f} req/s ({s['non2xx']:.0f} non-2xx)",
        f"{s['ratio_to_minimal']:.2f} × minimal",
        "≥ 0.50",
    )
    b = results["batch_http"]
    table.add_row(
        "POST /v1/events/batch (1000/request)",
        f"{b['per_s']:,.0f} events/s",
        f"{b['ratio_to_verify']:.2f} × verify (one core)",
        "",
    )
    g = results["history_get"]
    o = g["one_client"]
    table.add_row(
        f"GET /v1/packs/{{code}}/events at {entries:,}, one client",
        f"p50 {o['p50_ms']:.2f} ms, p99 {o['p99_ms']:.2f} ms ({o['non2xx']:.0f} non-2xx {o['non2xx_statuses']})",
        f"{o['rps']:,.0f} req/s",
        "p99 ≤ 20 ms",
    )
    table.add_row(
        "… 8 concurrent clients",
        f"p50 {g['p50_ms']:.2f} ms, p99 {g['p99_ms']:.2f} ms ({g['non2xx']:.0f} non-2xx {g['non2xx_statuses']})",
        f"{g['rps']:,.0f} req/s",
        "",
    )
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    console.print(f"written {args.out}")


if __name__ == "__main__":
    main()
