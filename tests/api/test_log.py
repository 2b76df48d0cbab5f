"""GET /v1/log/checkpoint, /key, /entries, /proof/inclusion, /proof/consistency."""

from __future__ import annotations

import httpx
import pytest

from events.orgs import Role
from ledger.log import Ledger
from tests import specverify
from tests.api.parties import Party
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code


@pytest.fixture
def five(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker = parties[Role.MANUFACTURER]
    events = [maker.claim(code(i), "produced", PRODUCED) for i in range(5)]
    assert client.post("/v1/events/batch", json={"events": events[:3]}, headers=maker.auth).status_code == 201
    assert client.post("/v1/events/batch", json={"events": events[3:]}, headers=maker.auth).status_code == 201


def test_an_empty_log_has_no_checkpoint_yet(client: httpx.Client) -> None:
    assert_problem(
        client.get("/v1/log/checkpoint"), 404, "empty_log", "the log is empty: no checkpoint has been signed yet"
    )


def test_the_checkpoint_is_plain_text_signed_by_the_published_key(
    client: httpx.Client, five: None, ledger: Ledger
) -> None:
    response = client.get("/v1/log/checkpoint")
    key = client.get("/v1/log/key").json()

    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert key["verifier_key"] == ledger.signer.verifier_key
    assert key["origin"] == "packtrace.test/log"
    assert key["verifier_key"].startswith("packtrace.test/log+")
    body = specverify.verify_note(response.text, key["verifier_key"])
    origin, size, root = specverify.parse_checkpoint(body)[:3]
    assert (origin, size) == ("packtrace.test/log", 5)
    assert root == specverify.mth([body for _, _, body in ledger.entries(0, 5)])


def test_the_regulator_reads_entries_in_pages(client: httpx.Client, parties: dict[Role, Party], five: None) -> None:
    regulator = parties[Role.REGULATOR]
    page = client.get("/v1/log/entries", params={"start": 1, "end": 3}, headers=regulator.auth).json()

    assert (page["start"], page["end"], page["tree_size"]) == (1, 3, 5)
    assert [e["index"] for e in page["entries"]] == [1, 2]
    assert all(e["hash"] == specverify.entry_hash(e["entry"]) for e in page["entries"])
    everything = client.get("/v1/log/entries", headers=regulator.auth).json()
    assert (everything["start"], everything["end"], len(everything["entries"])) == (0, 5, 5)
    beyond = client.get("/v1/log/entries", params={"start": 9}, headers=regulator.auth).json()
    assert (beyond["start"], beyond["end"], beyond["entries"]) == (9, 9, [])


def test_entries_come_at_most_a_thousand_a_page(client: httpx.Client, parties: dict[Role, Party]) -> None:
    response = client.get("/v1/log/entries", params={"start": 0, "end": 1001}, headers=parties[Role.REGULATOR].auth)
    assert_problem(response, 422, "range_too_large", "at most 1000 entries a page: [0, 1001) holds 1001")
    backwards = client.get("/v1/log/entries", params={"start": 5, "end": 2}, headers=parties[Role.REGULATOR].auth)
    assert_problem(backwards, 422, "invalid_range", "end 2 is before start 5")


def test_others_may_not_read_the_raw_log(client: httpx.Client, parties: dict[Role, Party]) -> None:
    assert_problem(
        client.get("/v1/log/entries", headers=parties[Role.RECYCLER].auth),
        403,
        "forbidden",
        "only a regulator may read the log's entries; you are org 'recycler' (recycler)",
    )


def test_inclusion_proofs_verify_against_the_checkpoint(
    client: httpx.Client, parties: dict[Role, Party], five: None
) -> None:
    entries = client.get("/v1/log/entries", headers=parties[Role.REGULATOR].auth).json()["entries"]
    leaves = [specverify.entry_bytes(e["entry"]) for e in entries]
    root = specverify.mth(leaves)
    for index in range(5):
        proof = client.get("/v1/log/proof/inclusion", params={"index": index, "size": 5}).json()
        assert (proof["index"], proof["tree_size"]) == (index, 5)
        specverify.verify_inclusion(leaves[index], index, 5, proof["hashes"], root)


def test_consistency_proofs_verify_between_sizes(client: httpx.Client, parties: dict[Role, Party], five: None) -> None:
    entries = client.get("/v1/log/entries", headers=parties[Role.REGULATOR].auth).json()["entries"]
    leaves = [specverify.entry_bytes(e["entry"]) for e in entries]
    proof = client.get("/v1/log/proof/consistency", params={"from": 3, "to": 5}).json()

    assert (proof["from"], proof["to"]) == (3, 5)
    specverify.verify_consistency(3, 5, proof["hashes"], specverify.mth(leaves[:3]), specverify.mth(leaves))


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "detail"),
    [
        ("inclusion", {"index": 5, "size": 5}, 422, "bad_proof_request", "index 5 is not inside a tree of size 5"),
        ("inclusion", {"index": 0, "size": 6}, 404, "beyond_log", "tree size 6 is beyond the log's size 5"),
        ("consistency", {"from": 4, "to": 3}, 422, "bad_proof_request",
         "a consistency proof needs 0 < from <= to, found 4, 3"),
        ("consistency", {"from": 1, "to": 9}, 404, "beyond_log", "tree size 9 is beyond the log's size 5"),
    ],
)  # fmt: skip
def test_impossible_proofs_are_refused(
    client: httpx.Client, five: None, path: str, params: dict[str, int], status: int, code: str, detail: str
) -> None:
    assert_problem(client.get(f"/v1/log/proof/{path}", params=params), status, code, detail)
