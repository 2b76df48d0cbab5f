"""Writing a group so that one request's failure fails it alone: a request whose signatures turn out
forged is taken out and the group written again (late rejection); a group the database refuses is written
again in halves, down to the request it refuses, unless the failure is the database's own state."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from events.errors import InvalidClaim
from ledger.append.request import Request
from ledger.append.unit import LateRejection
from ledger.groupcommit.writer import WriterConnection
from ledger.store import faults
from ledger.store.driver import Connection, Engine

Write = Callable[[Connection, Sequence[Request]], None]  # one transaction for a group (ledger.append.unit)


def write_isolating(connection: WriterConnection, requests: Sequence[Request], write: Write) -> None:
    """Write the requests in one transaction. If it fails, none was recorded: unless the failure is the
    database's state (`faults.systemic`: writing again would only meet it again, each time), write each
    half on its own, down to single requests, so that a request whose rows the database refuses (or that
    trips anything else) fails alone and the others are recorded."""
    if not requests:
        return
    try:
        write_requests(connection, requests, write)
    except Exception as exc:
        systemic = faults.systemic(connection.engine, exc)
        connection.give_back()
        if len(requests) > 1 and not systemic:
            middle = len(requests) // 2
            write_isolating(connection, requests[:middle], write)
            write_isolating(connection, requests[middle:], write)
            return
        _fail(requests, refused_by_storage(connection.engine, exc) if len(requests) == 1 else exc)
    except BaseException as exc:  # e.g. KeyboardInterrupt: no request of these was recorded
        connection.give_back()
        _fail(requests, exc)


def write_requests(connection: WriterConnection, requests: Sequence[Request], write: Write) -> None:
    """One transaction for the requests (again without those whose signatures fail, if any do)."""
    live = requests
    while live:
        try:
            write(connection.get(), live)
        except LateRejection as late:  # rolled back: write the group again without them
            live = [request for request in live if request not in late.requests]
            continue
        return


def refused_by_storage(engine: Engine, exc: Exception) -> BaseException:
    """A request written alone failed with `exc`: a value the database cannot store is the request's own
    fault, a 422. Anything else stays as it is."""
    if faults.unstorable(engine, exc):
        return InvalidClaim(
            "the database cannot store a value of this claim (a NUL or other character it refuses, "
            "or a value out of range)",
            code="unstorable_claim",
        )
    return exc


def _fail(requests: Sequence[Request], failure: BaseException) -> None:
    for request in requests:
        if request.error is None:
            request.results, request.error = None, failure
