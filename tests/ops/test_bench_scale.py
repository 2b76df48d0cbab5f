"""bench/bench_scale.py (issue 18): the two sides of a figure alternate their order round by round, the
figure is the median of the per-round ratios, and a figure that was not produced fails the smoke."""

from __future__ import annotations

import pytest

from bench.bench_scale import figures, interleaved
from bench.loadgen import raw


def test_the_sides_alternate_and_the_figure_is_the_median_of_the_rounds_ratios() -> None:
    calls: list[str] = []
    rates = {"a": iter([10.0, 30.0, 20.0]), "b": iter([10.0, 10.0, 10.0])}

    def side(name: str):  # type: ignore[no-untyped-def]
        def run() -> float:
            calls.append(name)
            return next(rates[name])

        return run

    result = interleaved({"a": side("a"), "b": side("b")}, 3)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert (result["ratios"], result["ratio"], result["a_per_s"], result["b_per_s"]) == (
        [1.0, 3.0, 2.0],
        2.0,
        20.0,
        10.0,
    )


def _results(rss: int) -> dict[str, object]:
    rounds = {"ratios": [1.0], "ratio": 1.0}
    return {
        "verify_one_core": {"cryptography": 100.0, "libsodium": 200.0},
        "peer": {
            "packtrace_per_s": 1.0,
            "eventsourcing_per_s": 2.0,
            "ratio_packtrace_to_eventsourcing": 0.5,
            "ratios": [0.5],
        },
        "postgres_vs_sqlite": {"postgresql_per_s": 1.0, "sqlite_per_s": 1.0, **rounds},
        "batch": {"http_per_s": 1.0, "in_process_per_s": 1.0, **rounds},
        "single_post": {"rps": 1.0, "non2xx": 0, "minimal_rps_around": 2.0, "ratio_to_minimal": 0.5},
        "server_rss_peak_bytes": rss,
    }


def test_every_figure_has_a_row_and_a_missing_one_fails() -> None:
    rows = figures(_results(2**29))
    assert [row[0] for row in rows[2:]] == [
        "1. SQLite in-process signed batch append",
        "2. POST /v1/events/batch over HTTP",
        "3. PostgreSQL batch append",
        "4. single POST /v1/events, 8 connections",
        "5. server RSS through 2 and 4 (peak)",
    ]
    assert rows[-1][1:4] == ("512 MiB", "1 GiB", "0.50")
    incomplete = _results(2**29)
    del incomplete["batch"]
    with pytest.raises(KeyError, match="batch"):
        figures(incomplete)
    with pytest.raises(RuntimeError, match=r"^the server's resident memory was never sampled$"):
        figures(_results(0))


def test_the_load_generator_sends_complete_requests() -> None:
    request = raw("POST", "/v1/events", '{"a":1}', {"Content-Type": "application/json"})
    assert request == (
        b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 7\r\nContent-Type: application/json\r\n\r\n"
        b'{"a":1}'
    )
