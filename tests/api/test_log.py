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
def five(client: httpx.Client, parties: dict[Role, Party], base: int) -> int:
    """Five pack entries after the parties' registry entries, in two batches; the log's size then."""
    maker = parties[Role.MANUFACTURER]
    events = [maker.claim(code(i), "produced", PRODUCED) for i in range(5)]
    assert client.post("/v1/events/batch", json={"events": events[:3]}, headers=maker.auth).status_code == 201
    assert client.post("/v1/events/batch", json={"events": events[3:]}, headers=maker.auth).status_code == 201
    return base + 5


def test_an_empty_log_has_no_checkpoint_yet(client: httpx.Client) -> None:
    assert_problem(
        client.get("/v1/log/checkpoint"), 404, "empty_log", "the log is empty: no checkpoint has been signed yet"
    )


def test_the_checkpoint_is_plain_text_signed_by_the_published_key(
    client: httpx.Client, five: int, ledger: Ledger
) -> None:
    response = client.get("/v1/log/checkpoint")
    key = client.get("/v1/log/key").json()

    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert key["verifier_key"] == ledger.signer.verifier_key
    assert key["origin"] == "packtrace.test/log"
    assert key["verifier_key"].startswith("packtrace.test/log+")
    body = specverify.verify_note(response.text, key["verifier_key"])
    origin, size, root = specverify.parse_checkpoint(body)[:3]
    assert (origin, size) == ("packtrace.test/log", five)
    assert root == specverify.mth([body for _, _, body in ledger.entries(0, five)])


def test_the_regulator_reads_entries_in_pages(client: httpx.Client, parties: dict[Role, Party], five: int) -> None:
    regulator = parties[Role.REGULATOR]
    start = five - 4
    page = client.get("/v1/log/entries", params={"start": start, "end": start + 2}, headers=regulator.auth).json()

    assert (page["start"], page["end"], page["tree_size"]) == (start, start + 2, five)
    assert [e["index"] for e in page["entries"]] == [start, start + 1]
    assert all(e["hash"] == specverify.entry_hash(e["entry"]) for e in page["entries"])
    everything = client.get("/v1/log/entries", headers=regulator.auth).json()
    assert (everything["start"], everything["end"], len(everything["entries"])) == (0, five, five)
    beyond = client.get("/v1/log/entries", params={"start": five + 4}, headers=regulator.auth).json()
    assert (beyond["start"], beyond["end"], beyond["entries"]) == (five + 4, five + 4, [])


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
    client: httpx.Client, parties: dict[Role, Party], five: int
) -> None:
    entries = client.get("/v1/log/entries", headers=parties[Role.REGULATOR].auth).json()["entries"]
    leaves = [specverify.entry_bytes(e["entry"]) for e in entries]
    root = specverify.mth(leaves)
    for index in range(five):
        proof = client.get("/v1/log/proof/inclusion", params={"index": index, "size": five}).json()
        assert (proof["index"], proof["tree_size"]) == (index, five)
        specverify.verify_inclusion(leaves[index], index, five, proof["hashes"], root)


def test_consistency_proofs_verify_between_sizes(client: httpx.Client, parties: dict[Role, Party], five: int) -> None:
    entries = client.get("/v1/log/entries", headers=parties[Role.REGULATOR].auth).json()["entries"]
    leaves = [specverify.entry_bytes(e["entry"]) for e in entries]
    for old in (1, five - 2, five):  # the first entry alone, the first batch, the whole log
        proof = client.get("/v1/log/proof/consistency", params={"from": old, "to": five}).json()
        assert (proof["from"], proof["to"]) == (old, five)
        specverify.verify_consistency(old, five, proof["hashes"], specverify.mth(leaves[:old]), specverify.mth(leaves))


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "detail"),
    [  # {n}: the log's size
        ("inclusion", {"index": 5, "size": 5}, 422, "bad_proof_request", "index 5 is not inside a tree of size 5"),
        ("inclusion", {"index": 0, "size": "n+1"}, 404, "beyond_log", "tree size {n+1} is beyond the log's size {n}"),
        ("consistency", {"from": 4, "to": 3}, 422, "bad_proof_request",
         "a consistency proof needs 0 < from <= to, found 4, 3"),
        ("consistency", {"from": 1, "to": "n+4"}, 404, "beyond_log", "tree size {n+4} is beyond the log's size {n}"),
    ],
)  # fmt: skip
def test_impossible_proofs_are_refused(
    client: httpx.Client, five: int, path: str, params: dict[str, int | str], status: int, code: str, detail: str
) -> None:
    sizes = {"n": five, "n+1": five + 1, "n+4": five + 4}
    query = {name: sizes[value] if isinstance(value, str) else value for name, value in params.items()}
    expected = detail.format_map(sizes)
    assert_problem(client.get(f"/v1/log/proof/{path}", params=query), status, code, expected)
