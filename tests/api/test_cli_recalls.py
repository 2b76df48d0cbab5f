"""`packtrace recall create` against a real server on a local port: it resolves the scope, signs each
`recalled` claim with the caller's key file and posts the campaign."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.api.scenario import code
from tests.api.test_cli import MAKER_ROW, env, make_maker, run, server, write_jsonl

__all__ = ["env", "server"]


def test_recall_create_signs_and_posts_a_campaign_of_the_makers_own_packs(env: Path, server: str) -> None:
    token, key_file = make_maker(env)
    rows = [{"pack": code(i), "type": "produced", "at": "2026-03-02T01:00:00Z", "data": MAKER_ROW} for i in range(4)]
    base = ["--actor", "catl", "--key-id", "catl/1", "--key-file", key_file, "--token", token, "--url", server]
    assert run("submit", str(write_jsonl(env / "events.jsonl", rows)), *base)[0] == 0

    exit_code, out, err = run("recall", "create", "R-1", "--reason", "电芯缺陷", "--maker", "catl", "--due",
                              "2030-01-31", *base)  # fmt: skip
    assert exit_code == 0, err
    assert out == "OK: campaign R-1 recalls 4 packs\n"
    report = httpx.get(f"{server}/v1/recalls/R-1", headers={"Authorization": f"Bearer {token}"}).json()
    assert (report["packs"], report["remedied"], report["overdue"], report["due"]) == (4, 0, 0, "2030-01-31")
    assert report["created_by"] == "catl"

    again = run("recall", "create", "R-1", "--reason", "电芯缺陷", "--maker", "catl", *base)
    assert again[0] == 1
    assert "refused (campaign_exists): a recall campaign 'R-1' exists already" in again[2]
