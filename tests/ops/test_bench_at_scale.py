"""bench/bench_at_scale.py (issue 18, target 5): on a small database bench/build_scale.py built, one run
produces every figure, each beside its baseline, and leaves the verifier's checkpoint for the next run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.build_scale import build
from tests.conftest import backend_url, fresh_postgres_schema, is_postgres

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not is_postgres(), reason="the bench measures PostgreSQL (pg_table_size)")


def run(server: str, schema: str, key: Path, state: Path, out: Path) -> dict:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_at_scale.py"), "--pg", server, "--schema", schema,
         "--key-file", str(key), "--makers", "1", "--state", str(state), "--tail", "600",
         "--history-seconds", "1", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def test_every_figure_beside_its_baseline_and_a_second_run_goes_on_from_the_first(tmp_path: Path) -> None:
    server = backend_url()
    with fresh_postgres_schema(server, "scale") as url:
        schema = url.rsplit("%3D", 1)[1]
        figures = build(url, 6_000, 1, tmp_path / "log.key", "bench.local/scale")
        state, out = tmp_path / "verified", tmp_path / "at_scale.json"
        first = run(server, schema, tmp_path / "log.key", state, out)

        assert first["storage"]["entries"] >= figures["entries"]
        assert first["storage"]["bytes_per_entry"] > 0 and "entry" in first["storage"]["tables"]
        assert first["full_verify"]["entries"] == first["storage"]["entries"]
        assert first["append"]["rounds"] == 1 and first["append"]["claims_per_round"] == 600
        assert first["append"]["ratio"] > 0
        incremental = [run for run in first["incremental"]["runs"] if run["kind"] == "incremental"]
        # the tail, after its maker and its reporting regulator were registered
        added = first["append"]["big_size_after"] - first["storage"]["entries"]
        assert 600 < added <= 600 + 10
        assert [run["entries"] for run in incremental] == [added, added]
        for kind in ("inclusion", "consistency"):
            assert first["proofs"]["big"][kind]["count"] > 0 and first["proofs"][f"{kind}_p50_ratio"] > 0
        for clients in (1, 8):
            assert first["history"][f"big_{clients}"]["requests"] > 0
            assert first["history"][f"baseline_{clients}"]["non2xx"] == 0
        assert first["reports"]["recall_1000"]["packs"] == 1_000  # one maker's 40 production days of 25 packs
        assert first["reports"]["compliance"]["unaccounted"] > 0
        assert first["storage_after"]["entries"] > first["storage"]["entries"]
        assert first["storage_after"]["tables"]["report_day"]["table_bytes"] > 0  # the report tables built
        assert state.read_text().startswith("bench.local/scale\n")

        second = run(server, schema, tmp_path / "log.key", state, out)
        assert second["full_verify"] == {"skipped": f"the checkpoint in {state}"}
        incremental = [run for run in second["incremental"]["runs"] if run["kind"] == "incremental"]
        # from the first run's checkpoint: the readers its history step registered, and the second tail
        assert second["storage"]["entries"] > first["append"]["big_size_after"]
        since = second["append"]["big_size_after"] - first["append"]["big_size_after"]
        assert [run["entries"] for run in incremental] == [since, since]
