"""The Prometheus metrics of one app (`GET /metrics`, docs/operations.md §6), in a registry of its own:

- `packtrace_log_entries_total` (counter): the log's size, read from the database at each scrape, so it counts
  every process's appends; `rate(packtrace_log_entries_total[5m])` is the append rate.
- `packtrace_append_queue_depth` (gauge): requests waiting in this process's group-commit queue
  (ledger/groupcommit), the one writer's backlog.
- `packtrace_witness_lag_entries{witness}` (gauge): how many entries the log has beyond the latest checkpoint
  the witness cosigned (the whole log while it has cosigned none); `packtrace_witness_up{witness}`: 1 when
  its last submission succeeded, 0 when it failed (absent until it was asked).
- `packtrace_http_request_duration_seconds{method,route,status}` (histogram): the time to the response's
  last byte, by route template (`/v1/packs/{code}`, never the code itself: the label set stays small).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.cosigner import witness_states
from ledger.log import Ledger

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "unmatched"  # a request no route matched (a 404): one label value for all of them


class LedgerCollector(Collector):
    """The ledger's figures, read at each scrape."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    def collect(self) -> Iterable[Metric]:
        ledger: Ledger = self.app.state.ledger
        queue = GaugeMetricFamily(
            "packtrace_append_queue_depth", "Append requests waiting in this process's group-commit queue"
        )
        queue.add_metric([], len(ledger.commits.queue))
        yield queue
        try:
            size: int | None = ledger.size()
        except Exception:  # the database did not answer: /healthz says why; the other figures still go out
            size = None
        if size is not None:
            entries = CounterMetricFamily(
                "packtrace_log_entries", "Entries in the log (its size); rate() of it is the append rate"
            )
            entries.add_metric([], size)
            yield entries
        lag = GaugeMetricFamily(
            "packtrace_witness_lag_entries",
            "Entries in the log beyond the latest checkpoint the witness cosigned",
            labels=["witness"],
        )
        up = GaugeMetricFamily(
            "packtrace_witness_up",
            "1 when the witness's last submission succeeded, 0 when it failed",
            labels=["witness"],
        )
        for witness in witness_states(self.app):
            if size is not None:
                lag.add_metric([witness.name], max(0, size - witness.cosigned_size))
            if witness.ok is not None:
                up.add_metric([witness.name], 1 if witness.ok else 0)
        yield lag
        yield up


class AppMetrics:
    def __init__(self, app: Starlette) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.latency = Histogram(
            "packtrace_http_request_duration_seconds",
            "Time from a request's arrival to its response's last byte",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(LedgerCollector(app))


class RequestLatency:
    """ASGI middleware: each HTTP request's duration in the app's latency histogram."""

    def __init__(self, app: ASGIApp, metrics: AppMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes before the response starts

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.latency.labels(scope["method"], route, str(status)).observe(time.perf_counter() - started)


def exposition(app: Starlette) -> bytes:
    metrics: AppMetrics = app.state.metrics
    return generate_latest(metrics.registry)
