"""Where a single `POST /v1/events` spends the server's time (issue 18, figure 4; docs/performance.md).

    python bench/profile_single.py                      # ~1 minute: one profiled run, 8 connections
    python bench/profile_single.py --seconds 10 --top 40

Serves packtrace on SQLite (as bench_scale.py's figure 4 does) in a child process whose every thread runs
under cProfile (the event loop, the ledger's writer thread, the thread pool), loads it with
bench/loadgen.py (its own process, 8 keep-alive connections, pre-signed `produced` claims each sent
once), then prints: the requests/s and their statuses, the CPU seconds of each thread kind, the
cumulative time of each phase of a request (the functions named in PHASES), and the top functions by
their own time. cProfile slows Python code several-fold (C code much less), so read the shares, not the
absolute times; the unprofiled rate is figure 4's.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (phase, file suffix, function name): cumulative seconds of each, summed over the threads
PHASES: list[tuple[str, str, str]] = [
    ("uvicorn: h11 parses the request (handle_events)", "protocols/http/h11_impl.py", "handle_events"),
    (
        "uvicorn: the ASGI app run for a request (run_asgi: all of the request's event-loop work)",
        "protocols/http/h11_impl.py",
        "run_asgi",
    ),
    ("uvicorn: the response written (send, h11)", "protocols/http/h11_impl.py", "send"),
    ("starlette/fastapi: the app as called (middleware, routing, the route)", "fastapi/applications.py", "__call__"),
    ("fastapi: solve dependencies and validate the body", "fastapi/dependencies/utils.py", "solve_dependencies"),
    ("fastapi: the body's JSON parsed (json.loads)", "starlette/requests.py", "json"),
    (
        "fastapi: the body validated into EventCreate (request_body_to_args)",
        "fastapi/dependencies/utils.py",
        "request_body_to_args",
    ),
    ("the caller: current_caller (bearer token)", "api/deps.py", "current_caller"),
    ("route post_event (event loop side)", "api/routes/events.py", "post_event"),
    ("asyncio: everything on the event loop, epoll waits included", "asyncio/base_events.py", "_run_once"),
    (
        "posting.submit before the hand-off (jurisdiction, peers)",
        "ledger/usecases/places.py",
        "require_writes_in_jurisdiction",
    ),
    ("writer thread: drain (check + write + commit, all groups)", "ledger/groupcommit/commit.py", "drain"),
    ("writer: step 1, Intake.check (parse, key, signature)", "ledger/append/intake.py", "check"),
    ("writer: parse_claim (envelope, canonical bytes)", "ledger/format/claims.py", "parse_claim"),
    ("writer: Ed25519 verification (libsodium, GIL released)", "ledger/format/ed25519.py", "verify"),
    ("writer: write_isolating (rules, rows, checkpoint, commit)", "ledger/groupcommit/isolate.py", "write_isolating"),
    ("writer: COMMIT (the driver's commit)", "sqlalchemy/engine/base.py", "commit"),
    ("response: event_result_json", "ledger/usecases/views.py", "event_result_json"),
]


def thread_kind(name: str) -> str:
    return "writer" if "ledger-writer" in name else "event loop" if name == "MainThread" else "thread pool/other"


def cpu_seconds(tid: int, pid: str = "self") -> float:
    """User + system CPU seconds of one thread so far (Linux /proc, clock ticks)."""
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each live thread of process `pid`."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            found[int(task.name)] = cpu_seconds(int(task.name), str(pid))
    return found


def time_phases(out: Path) -> Callable[[Any], Any]:
    """Wall-clock timers around the phases of the write path (patched into the classes before the app
    makes its ledger); returns a wrapper that times the ASGI app per request. Written to phases.json."""
    import time

    from ledger.append.intake import Intake
    from ledger.append.unit import Appender

    totals: dict[str, list[float]] = {}  # phase -> [wall seconds, count, items, this thread's CPU seconds]

    def add(phase: str, seconds: float, items: int = 1, cpu: float = 0.0) -> None:
        entry = totals.setdefault(phase, [0.0, 0, 0, 0.0])
        entry[0] += seconds
        entry[1] += 1
        entry[2] += items
        entry[3] += cpu

    def timer(phase: str, fn: Callable[..., Any], items: Callable[..., int]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                add(phase, time.perf_counter() - start, items(*args), time.thread_time() - cpu)

        return timed

    Intake.check = timer("writer: step 1 (envelope, key, signature)", Intake.check, lambda *a: 1)  # type: ignore[method-assign]
    Appender.write = timer(  # type: ignore[method-assign]
        "writer: one group's transaction (BEGIN … COMMIT)", Appender.write, lambda _s, _c, group: len(group)
    )
    Appender.write_group = timer(  # type: ignore[method-assign]
        "writer: inside it, steps 2-5 (lock, rules, rows, checkpoint)", Appender.write_group, lambda _s, _c, g: len(g)
    )
    from sqlalchemy.engine.default import DefaultDialect

    DefaultDialect.do_commit = timer(  # type: ignore[method-assign]
        "database: COMMIT (every connection's; the writer's is durable: the WAL synced)",
        DefaultDialect.do_commit,
        lambda *a: 0,
    )

    def wrap(app: Any) -> Any:
        async def timed_app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["path"] != "/v1/events":
                await app(scope, receive, send)
                return
            start = time.perf_counter()
            try:
                await app(scope, receive, send)
            finally:
                add(
                    "event loop: the ASGI app, request in to response out (wall, waits included)",
                    time.perf_counter() - start,
                )

        return timed_app

    import atexit

    atexit.register(lambda: (out / "phases.json").write_text(json.dumps(totals)))
    return wrap


def check_in_event_loop() -> None:
    """An experiment, not packtrace's code: step 1 (envelope, key, signature) run on the event loop before
    the request is queued, so the writer thread only writes; the same checks, the same errors (the key
    lookup, once per key, then blocks the loop)."""
    import asyncio

    from ledger.groupcommit import commit

    async def commit_async(self: commit.GroupCommit, items: commit.Items, as_org: str | None) -> list[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[commit.Queued] = loop.create_future()

        def settled(request: commit.Queued) -> None:
            loop.call_soon_threadsafe(commit._settle, future, request)

        request = commit.Queued(settled=settled)
        try:
            self.check(request, items, as_org)
        except BaseException as exc:  # as _check_queued
            request.error = exc
        if self.enqueue(request):
            self.writer().wake()
        await future
        return request.outcome()

    commit.GroupCommit.commit_async = commit_async  # type: ignore[method-assign]


def linger(seconds: float) -> None:
    """An experiment, not packtrace's code: before taking a group, the writer waits up to `seconds` while
    fewer than 6 requests are queued, so groups grow (a commit shared by more requests; each waits longer)."""
    import time

    from ledger.groupcommit import commit

    next_group = commit.GroupCommit._next_group

    def lingering(self: commit.GroupCommit) -> list[commit.Queued]:
        deadline = time.perf_counter() + seconds
        while len(self.queue) < 6 and time.perf_counter() < deadline:
            time.sleep(seconds / 5)
        return next_group(self)

    commit.GroupCommit._next_group = lingering  # type: ignore[method-assign]


def serve(port: int, out: Path, profiled: bool) -> None:
    """The child: packtrace's app under uvicorn, every thread profiled (or only its CPU time counted); the
    stats dumped at shutdown."""
    import uvicorn

    from api.app import create_app
    from api.cli_config import load_settings

    profiles: list[tuple[str, cProfile.Profile]] = []
    lock = threading.Lock()
    original_run = threading.Thread.run
    cpu: dict[int, tuple[str, float]] = {}  # native thread id -> (kind, CPU seconds at its end or at shutdown)

    def profiled_run(self: threading.Thread) -> None:
        profile = cProfile.Profile()
        with lock:
            profiles.append((self.name, profile))
        tid = threading.get_native_id()
        cpu[tid] = (thread_kind(self.name), 0.0)
        if profiled:
            profile.enable()
        try:
            original_run(self)
        finally:
            profile.disable()
            cpu[tid] = (thread_kind(self.name), cpu_seconds(tid))

    threading.Thread.run = profiled_run  # type: ignore[method-assign]
    main = cProfile.Profile()
    profiles.append(("MainThread", main))
    wrap = time_phases(out) if not profiled else (lambda app: app)
    application = wrap(create_app(load_settings()))
    # uvicorn raises the captured SIGTERM again once it has shut down: ignored, so the stats get written
    signal.signal(signal.SIGTERM, lambda *_: None)
    if profiled:
        main.enable()
    sys.stderr = (out / "server.log").open("w")
    uvicorn.run(application, host="127.0.0.1", port=port, proxy_headers=False)  # as `packtrace serve`
    main.disable()
    cpu[os.getpid()] = ("event loop", 0.0)
    (out / "threads-kinds.json").write_text(json.dumps({tid: kind for tid, (kind, _) in cpu.items()}))
    if not profiled:
        return
    dump: dict[str, Any] = {}
    for name, profile in profiles:
        kind = thread_kind(name)
        path = out / f"{kind.replace(' ', '_').replace('/', '_')}-{len(dump)}.prof"
        profile.create_stats()
        profile.dump_stats(path)
        dump[str(path)] = kind
    (out / "threads.json").write_text(json.dumps(dump))


WARM = 200  # requests sent before the measured load

WAITS = ("<method 'acquire' of '_thread.lock' objects>", "<method 'poll' of 'select.epoll' objects>")


def cpu_report(out: Path, load_result: dict[str, Any], before: dict[int, float], after: dict[int, float]) -> None:
    requests = load_result["requests"]
    print(json.dumps({k: load_result[k] for k in ("requests", "rps", "statuses", "p50_ms", "p99_ms", "ran_out")}))
    kinds = {int(tid): kind for tid, kind in json.loads((out / "threads-kinds.json").read_text()).items()}
    per_kind: dict[str, float] = {}
    for tid, seconds in after.items():
        kind = kinds.get(tid, "thread pool/other")
        per_kind[kind] = per_kind.get(kind, 0.0) + seconds - before.get(tid, 0.0)
    phases = json.loads((out / "phases.json").read_text())
    print("phases (whole server life, warm-up included): wall and the thread's CPU per call, requests per call")
    for phase, (seconds, count, items, cpu) in phases.items():
        cpu_text = f"{cpu / count * 1e6:6.0f}" if cpu else "     -"
        print(f"  {seconds / count * 1e6:6.0f} µs wall {cpu_text} µs CPU {items / count:5.2f} req/call  {phase}")
    total = sum(per_kind.values())
    print(
        f"server CPU seconds by thread during the measured load ({total:.2f} s; "
        f"the load lasted {load_result['seconds']:.1f} s):"
    )
    for kind, seconds in sorted(per_kind.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<20} {seconds:8.2f} s  {seconds / requests * 1e6:8.0f} µs/request")


def report(out: Path, load_result: dict[str, Any], top: int) -> None:
    threads: dict[str, str] = json.loads((out / "threads.json").read_text())
    merged: pstats.Stats | None = None
    per_kind: dict[str, float] = {}
    for path, kind in threads.items():
        stats = pstats.Stats(path)
        per_kind[kind] = per_kind.get(kind, 0.0) + stats.total_tt  # type: ignore[attr-defined]
        if merged is None:
            merged = stats
        else:
            merged.add(stats)
    assert merged is not None
    raw: dict[Any, Any] = merged.stats  # type: ignore[attr-defined]
    requests = load_result["requests"] + WARM  # the profile covers the warm-up too
    print(json.dumps({k: load_result[k] for k in ("requests", "rps", "statuses", "p50_ms", "p99_ms", "ran_out")}))
    waiting = sum(v[2] for (_, _, func), v in raw.items() if func in WAITS)
    total = sum(per_kind.values())
    print(f"\nprofiled seconds by thread kind (all {total:.2f} s, of which {waiting:.2f} s waiting in a lock or epoll;")
    print("shares below are of the time not waiting; µs per request):")
    for kind, seconds in sorted(per_kind.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<20} {seconds:8.2f} s  {seconds / requests * 1e6:8.0f} µs")
    total -= waiting
    print("\nphases (cumulative, µs per request, share of all profiled time):")
    for label, suffix, name in PHASES:
        cum = sum(v[3] for (file, _, func), v in raw.items() if func == name and file.endswith(suffix))
        print(f"  {cum / requests * 1e6:8.0f} µs  {cum / total:6.1%}  {label}")
    print(f"\ntop {top} functions by own time:")
    rows = sorted(((k, v) for k, v in raw.items() if k[2] not in WAITS), key=lambda kv: -kv[1][2])[:top]
    for (file, line, func), (_, calls, tt, _ct, _) in rows:
        short = file.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        print(
            f"  {tt / requests * 1e6:7.1f} µs {tt / total:6.1%}  calls/req {calls / requests:6.1f}  "
            f"{short}:{line}({func})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the child: the port
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--requests", type=int, default=15_000, help="pre-signed claims (each sent once)")
    parser.add_argument("--keep", type=Path, help="copy the .prof files (one per thread) into this directory")
    parser.add_argument("--cpu", action="store_true", help="no profiler: each thread's CPU time, the phases' wall time")
    parser.add_argument("--minimal", action="store_true", help="the minimal FastAPI POST instead (its CPU time)")
    parser.add_argument(
        "--check-in-loop", action="store_true", help="experiment: step 1 on the event loop, not the writer"
    )
    parser.add_argument("--linger", type=float, help="experiment: the writer waits up to this (s) for a group")
    parser.add_argument("--switch-interval", type=float, help="the server's sys.setswitchinterval (s; default 0.005)")
    args = parser.parse_args()
    if args.serve:
        if args.switch_interval:
            sys.setswitchinterval(args.switch_interval)
        if args.check_in_loop:
            check_in_event_loop()
        if args.linger:
            linger(args.linger)
        serve(args.serve, args.out, profiled=not args.cpu)
        return

    from bench.bench_api import MINIMAL_APP, free_port
    from bench.bench_scale import PYTHON, load, served_database, server

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.minimal:  # figure 4's baseline, served as bench_scale.py serves it: its CPU per request
            (tmp / "minimal_app.py").write_text(MINIMAL_APP)
            port = free_port()
            sample = json.dumps({"claim": {"v": 1, "pad": "x" * 480}, "sig": "y" * 88})
            echo = [("POST", "/echo", sample, {"Content-Type": "application/json"})] * 60_000
            uvicorn_ = [PYTHON, "-m", "uvicorn", "--app-dir", str(tmp), "minimal_app:app", "--port", str(port)]
            with server(uvicorn_, {}, port) as (_, proc):
                load(port, echo[:200], 1.0, tmp)
                before = threads_cpu(proc.pid)
                result = load(port, echo, args.seconds, tmp)
                after = threads_cpu(proc.pid)
            print(json.dumps({k: result[k] for k in ("requests", "rps", "statuses", "p50_ms", "p99_ms", "ran_out")}))
            main_cpu = after[proc.pid] - before.get(proc.pid, 0.0)
            others = sum(s - before.get(t, 0.0) for t, s in after.items() if t != proc.pid)
            for kind, seconds in (("event loop", main_cpu), ("thread pool/other", others)):
                print(f"  {kind:<20} {seconds:8.2f} s  {seconds / result['requests'] * 1e6:8.0f} µs/request")
            return
        env, work = served_database(tmp)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {work.maker.token}"}
        singles = [
            ("POST", "/v1/events", json.dumps({"claim": c, "sig": s}), headers) for c, s in work.batch(args.requests)
        ]
        port = free_port()
        args_ = [PYTHON, str(Path(__file__).resolve()), "--serve", str(port), "--out", str(tmp)] + ["--cpu"] * args.cpu
        args_ += ["--switch-interval", str(args.switch_interval)] if args.switch_interval else []
        args_ += ["--check-in-loop"] * args.check_in_loop
        args_ += ["--linger", str(args.linger)] if args.linger else []
        with server(args_, env, port) as (_, proc):
            load(port, singles[:WARM], 1.0, tmp)  # warm
            before = threads_cpu(proc.pid)
            result = load(port, singles[WARM:], args.seconds, tmp)
            after = threads_cpu(proc.pid)
            proc.terminate()
            if proc.wait(timeout=60):
                raise RuntimeError(f"the profiled server exited with {proc.returncode}")
        try:
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for prof in tmp.glob("*.prof"):
                    shutil.copy(prof, args.keep / prof.name)
            cpu_report(tmp, result, before, after) if args.cpu else report(tmp, result, args.top)
        except FileNotFoundError:
            print((tmp / "server.log").read_text()[-3000:])
            raise


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
