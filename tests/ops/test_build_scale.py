"""bench/build_scale.py (issue 18): the large-database builder appends through the ledger itself, so a
small build verifies, fully and as the first run of an incremental verify."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import bench_reports
from bench.build_scale import build, per_day_for
from ledger.store.db import make_engine
from ledger.usecases.incremental import verify_since
from ledger.usecases.verify import verify_database

pytestmark = pytest.mark.slow


def test_a_small_build_verifies(database_url: str, tmp_path: Path) -> None:
    figures = build(database_url, 3_000, 4, tmp_path / "log.key", "bench.local/scale")
    assert int(figures["entries"]) >= 3_000 and int(figures["packs"]) > 600
    assert figures["packs_per_production_day"] == bench_reports.PER_DAY == 25  # small: the usual rate
    engine = make_engine(database_url)
    try:
        report = verify_database(engine, str(figures["verifier_key"]))
        assert report.problems == []
        assert report.entries == figures["entries"]
        assert verify_since(engine, str(figures["verifier_key"]), None).problems == []
    finally:
        engine.dispose()


def test_ten_million_entries_keep_every_production_day_in_the_past() -> None:
    assert per_day_for(2_500_000, 100) == 56  # 2.5 M packs: 450 production days of 100 makers
    assert per_day_for(10_000, 4) == 25
