"""Issue 11, item 3 (second half): one request's failure inside a group commit fails that request alone.

The group commit writes up to 64 queued requests in one transaction. When the database refuses one
request's rows, the group is written again in halves until the failing request is alone; the others
are recorded. Tested with a fault injected in the database itself (tests/ledger/storage_fault.py), so
it holds whatever input validation stops earlier."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from events.errors import InvalidClaim
from ledger.log import Ledger
from ledger.usecases.verify import verify_database
from tests.conftest import is_postgres
from tests.ledger.storage_fault import REFUSED, refuse_entries
from tests.support import PRODUCED, Actor, code

REQUESTS = 12
POISONED = 5  # the request whose rows the database refuses
REFUSED_MAKER = "0RJ"  # catl's second manufacturer code: the packs the database refuses


def _claims(maker: Actor) -> list[tuple[dict[str, Any], str]]:
    return [
        maker.claim(code(n, maker=REFUSED_MAKER if n == POISONED else "001"), "produced", PRODUCED)
        for n in range(REQUESTS)
    ]


def _one_group(ledger: Ledger, claims: list[tuple[dict[str, Any], str]]) -> list[object]:
    """Append each claim as its own request, all queued before the writer starts: one group commit."""
    outcomes: list[object] = [None] * len(claims)

    def submit(n: int) -> None:
        try:
            outcomes[n] = ledger.append_one(*claims[n])
        except Exception as exc:
            outcomes[n] = exc

    ledger.commits.writing = True  # hold the group commit until every request is queued
    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(claims))]
    for n, thread in enumerate(threads):
        thread.start()
        while len(ledger.commits.queue) < n + 1:
            thread.join(0.01)
    groups: list[int] = []
    original = ledger.appender.write_group

    def counting(conn, group):  # type: ignore[no-untyped-def]
        groups.append(len(group))
        return original(conn, group)

    ledger.appender.write_group = counting  # type: ignore[method-assign]
    ledger.commits.drain()
    for thread in threads:
        thread.join()
    assert groups[0] == len(claims)  # they were written together first
    return outcomes


def test_item3_a_request_whose_value_the_database_cannot_store_fails_alone_with_a_422(
    ledger: Ledger, maker: Actor, base: int
) -> None:
    refuse_entries(ledger.engine, REFUSED_MAKER)
    outcomes = _one_group(ledger, _claims(maker))

    refused = outcomes[POISONED]
    assert isinstance(refused, InvalidClaim)
    assert (refused.code, refused.message) == (
        "unstorable_claim",
        "the database cannot store a value of this claim (a NUL or other character it refuses, "
        "or a value out of range)",
    )
    recorded = [o for n, o in enumerate(outcomes) if n != POISONED]
    assert all(not isinstance(o, Exception) for o in recorded), recorded
    assert sorted(o.index for o in recorded) == list(range(base, base + REQUESTS - 1))  # type: ignore[attr-defined]
    assert ledger.size() == base + REQUESTS - 1
    assert ledger.pack_state(code(POISONED, maker=REFUSED_MAKER)) is None
    assert verify_database(ledger.engine, ledger.signer.verifier_key).ok


def test_item3_any_database_error_of_one_request_fails_it_alone(ledger: Ledger, maker: Actor, base: int) -> None:
    """Not a data error (a trigger's exception, a constraint): the request gets the database's error,
    as a lone request always did; the others of its group are recorded."""
    refuse_entries(ledger.engine, REFUSED_MAKER, error="other")
    outcomes = _one_group(ledger, _claims(maker))

    refused = outcomes[POISONED]
    assert isinstance(refused, ledger.engine.dialect.dbapi.Error) and REFUSED in str(refused)
    assert [n for n, o in enumerate(outcomes) if isinstance(o, Exception)] == [POISONED]
    assert ledger.size() == base + REQUESTS - 1


def test_item3_from_the_event_loop_too_only_the_refused_request_fails(ledger: Ledger, maker: Actor, base: int) -> None:
    refuse_entries(ledger.engine, REFUSED_MAKER)
    claims = _claims(maker)

    async def post_all() -> list[object]:
        return await asyncio.gather(*(ledger.append_one_async(*c) for c in claims), return_exceptions=True)

    outcomes = asyncio.run(post_all())

    failed = [(n, getattr(o, "code", o)) for n, o in enumerate(outcomes) if isinstance(o, BaseException)]
    assert failed == [(POISONED, "unstorable_claim")]
    assert ledger.size() == base + REQUESTS - 1


def test_item3_a_failing_group_is_bisected_not_retried_request_by_request(ledger: Ledger, maker: Actor) -> None:
    """One refused request among 12 costs a handful of transactions, not one per request."""
    refuse_entries(ledger.engine, REFUSED_MAKER)
    attempts: list[int] = []
    original = ledger.appender.write_group

    def counting(conn, group):  # type: ignore[no-untyped-def]
        attempts.append(len(group))
        return original(conn, group)

    ledger.appender.write_group = counting  # type: ignore[method-assign]
    _one_group_plain(ledger, _claims(maker))

    # halves, depth first, down to request 5 alone: 12 -> [0-5] -> [0-2] ok, [3-5] -> [3] ok, [4-5] ->
    # [4] ok, [5] refused; then [6-11] ok
    assert attempts == [12, 6, 3, 3, 1, 2, 1, 1, 6]


@pytest.mark.skipif(not is_postgres(), reason="SQLSTATE 54000 is PostgreSQL's (SQLite has no such class)")
def test_item3_a_program_limit_one_request_exceeds_fails_it_alone(ledger: Ledger, maker: Actor, base: int) -> None:
    """PostgreSQL raises "index row size exceeds maximum" (a value too large for an index) as an
    operational error; it is the request's value, so the group is still written in halves."""
    refuse_entries(ledger.engine, REFUSED_MAKER, error="program_limit")
    outcomes = _one_group(ledger, _claims(maker))

    assert [n for n, o in enumerate(outcomes) if isinstance(o, Exception)] == [POISONED]
    refused = outcomes[POISONED]  # the request's own fault: a 422, like any value the database refuses
    assert isinstance(refused, InvalidClaim) and refused.code == "unstorable_claim"
    assert ledger.size() == base + REQUESTS - 1


def test_item3_a_failure_of_the_database_itself_fails_the_group_without_retries(ledger: Ledger, maker: Actor) -> None:
    """Busy, locked, out of disk, gone: writing the requests again one by one would meet it each time
    (a lock held elsewhere would be waited for once per request)."""
    attempts: list[int] = []
    dbapi = ledger.engine.dialect.dbapi
    assert dbapi is not None

    def locked(conn, group):  # type: ignore[no-untyped-def]
        attempts.append(len(group))
        raise OperationalError("INSERT …", {}, dbapi.OperationalError("database is locked"))

    ledger.appender.write_group = locked  # type: ignore[method-assign]
    claims = _claims(maker)[:4]

    async def post_all() -> list[object]:
        return await asyncio.gather(*(ledger.append_one_async(*c) for c in claims), return_exceptions=True)

    ledger.commits.writing = True  # queue all four before the writer starts
    outcomes = asyncio.run(_queued_then_drained(ledger, post_all))

    assert attempts == [4]
    assert all(isinstance(o, OperationalError) and "database is locked" in str(o) for o in outcomes), outcomes


async def _queued_then_drained(ledger: Ledger, post_all):  # type: ignore[no-untyped-def]
    task = asyncio.ensure_future(post_all())
    while len(ledger.commits.queue) < 4:
        await asyncio.sleep(0.01)
    ledger.commits.writer().wake()  # the writer thread drains the queue (and ends `_writing` when it is empty)
    return await task


def _one_group_plain(ledger: Ledger, claims: list[tuple[dict[str, Any], str]]) -> None:
    def submit(n: int) -> None:
        with pytest.raises(InvalidClaim) if n == POISONED else _nothing():
            ledger.append_one(*claims[n])

    ledger.commits.writing = True
    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(claims))]
    for n, thread in enumerate(threads):
        thread.start()
        while len(ledger.commits.queue) < n + 1:
            thread.join(0.01)
    ledger.commits.drain()
    for thread in threads:
        thread.join()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False
