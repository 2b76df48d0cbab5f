"""`append_one_async`: the ledger's writer thread checks and writes claims queued from an event loop, with
the same answers and refusals as `append_one`. Runs on both backends."""

from __future__ import annotations

import asyncio
import base64
import threading

import pytest
from sqlalchemy.exc import OperationalError

from events.errors import AuthorisationError, ConflictError, InvalidClaim, NotFoundError
from ledger.log import Ledger
from tests.support import PRODUCED, Actor, code


def test_concurrent_submissions_are_all_recorded_in_dense_order(ledger: Ledger, maker: Actor, base: int) -> None:
    claims = [maker.claim(code(i), "produced", PRODUCED) for i in range(40)]

    async def submit_all() -> list[int]:
        results = await asyncio.gather(*(ledger.append_one_async(c, s, as_org="catl") for c, s in claims))
        return sorted(r.index for r in results)

    assert asyncio.run(submit_all()) == list(range(base, base + 40))
    assert ledger.size() == base + 40
    head = ledger.pack_head(code(7))
    assert head is not None and head[1] == 0


def test_the_event_loop_thread_never_writes(ledger: Ledger, maker: Actor) -> None:
    writers: set[str] = set()
    original = ledger.appender.write_group

    def spy(conn, group):  # type: ignore[no-untyped-def]
        writers.add(threading.current_thread().name)
        return original(conn, group)

    ledger.appender.write_group = spy  # type: ignore[method-assign]
    result = asyncio.run(ledger.append_one_async(*maker.claim(code(1), "produced", PRODUCED)))

    assert result.created and writers == {"packtrace-ledger-writer"}


def test_a_retry_answers_the_recorded_entry(ledger: Ledger, maker: Actor) -> None:
    claim, sig = maker.claim(code(1), "produced", PRODUCED)
    first = ledger.append_one(claim, sig)
    again = asyncio.run(ledger.append_one_async(claim, sig))

    assert (again.created, again.index, again.hash) == (False, first.index, first.hash)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ("forged", InvalidClaim, "does not verify"),
        ("malformed", InvalidClaim, "claim.id must be a UUID"),
        ("other actor", AuthorisationError, "is not the authenticated organisation 'byd-auto'"),
        ("unknown pack", NotFoundError, "unknown pack"),
        ("stale prev", ConflictError, "stale prev"),
    ],
)
def test_refusals_are_raised_to_the_awaiting_task(
    ledger: Ledger, maker: Actor, base: int, change: str, error: type[Exception], message: str
) -> None:
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    claim, sig = maker.claim(code(2), "produced", PRODUCED)
    as_org = "catl"
    if change == "forged":
        sig = base64.b64encode(bytes(64)).decode()
    elif change == "malformed":
        claim = {**claim, "id": "not-a-uuid"}
    elif change == "other actor":
        as_org = "byd-auto"
    elif change == "unknown pack":
        claim, sig = maker.claim(code(3), "shipped", {"to": "byd-auto"})
    elif change == "stale prev":
        claim, sig = maker.claim(code(1), "shipped", {"to": "byd-auto"}, prev="0" * 64)

    with pytest.raises(error, match=message):
        asyncio.run(ledger.append_one_async(claim, sig, as_org=as_org))
    assert ledger.size() == base + 1


def test_a_refused_submission_does_not_stop_the_others_of_its_group(ledger: Ledger, maker: Actor, base: int) -> None:
    good = [maker.claim(code(i), "produced", PRODUCED) for i in range(5)]
    forged_claim, _ = maker.claim(code(9), "produced", PRODUCED)
    forged = (forged_claim, base64.b64encode(bytes(64)).decode())

    async def submit_all() -> list[object]:
        calls = [ledger.append_one_async(c, s) for c, s in [*good[:2], forged, *good[2:]]]
        return list(await asyncio.gather(*calls, return_exceptions=True))

    outcomes = asyncio.run(submit_all())
    assert isinstance(outcomes[2], InvalidClaim)
    assert sorted(r.index for r in outcomes if not isinstance(r, Exception)) == list(range(base, base + 5))  # type: ignore[attr-defined]
    assert ledger.size() == base + 5


def test_close_stops_the_writer_thread(ledger: Ledger, maker: Actor) -> None:
    asyncio.run(ledger.append_one_async(*maker.claim(code(1), "produced", PRODUCED)))
    assert any(t.name == "packtrace-ledger-writer" for t in threading.enumerate())
    ledger.close()
    assert not any(t.name == "packtrace-ledger-writer" for t in threading.enumerate())


def test_a_failed_transaction_fails_its_group_and_the_next_group_is_written(
    ledger: Ledger, maker: Actor, base: int
) -> None:
    """A database error fails every request of its group (nothing recorded); the writer gives the
    connection back and goes on with the next group on a fresh one."""
    original = ledger.appender.write_group
    calls = 0

    def failing_once(conn, group):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OperationalError("INSERT …", {}, RuntimeError("disk I/O error"))
        return original(conn, group)

    ledger.appender.write_group = failing_once  # type: ignore[method-assign]
    with pytest.raises(OperationalError, match="disk I/O error"):
        asyncio.run(ledger.append_one_async(*maker.claim(code(1), "produced", PRODUCED)))
    assert ledger.size() == base
    again = asyncio.run(ledger.append_one_async(*maker.claim(code(1), "produced", PRODUCED)))
    assert (again.index, ledger.size()) == (base, base + 1)
