"""A small HTTP/1.1 load generator for bench/bench_scale.py: `connections` keep-alive connections send
prepared requests, each once, for up to `seconds`; prints JSON (requests/s, statuses, latency p50/p99).

    python bench/loadgen.py PORT REQUESTS.json --seconds 10 --connections 8

Run as its own process, so it takes the same share of the two cores whichever server it loads. Each
request is [method, path, body, headers]; responses must carry Content-Length (uvicorn's do)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path


def raw(method: str, path: str, body: str, headers: dict[str, str]) -> bytes:
    data = body.encode()
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(data)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def worker(
    port: int, queue: list[bytes], deadline: float, statuses: dict[int, int], latencies: list[float]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue and time.perf_counter() < deadline:
            request = queue.pop()
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length is None:
                raise RuntimeError(f"response without Content-Length: {head[:200]!r}")
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def run(port: int, requests: list[bytes], seconds: float, connections: int) -> dict[str, object]:
    queue = list(reversed(requests))
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    start = time.perf_counter()
    await asyncio.gather(*(worker(port, queue, start + seconds, statuses, latencies) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    done = len(latencies)
    return {
        "requests": done,
        "seconds": elapsed,
        "rps": done / elapsed,
        "statuses": statuses,
        "non2xx": sum(n for s, n in statuses.items() if not 200 <= s < 300),
        "p50_ms": latencies[done // 2] * 1e3 if done else 0.0,
        "p99_ms": latencies[min(done - 1, int(done * 0.99))] * 1e3 if done else 0.0,
        "ran_out": not queue,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("requests", type=Path)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    requests = [raw(m, p, b, h) for m, p, b, h in json.loads(args.requests.read_text())]
    json.dump(asyncio.run(run(args.port, requests, args.seconds, args.connections)), sys.stdout)


if __name__ == "__main__":
    main()
