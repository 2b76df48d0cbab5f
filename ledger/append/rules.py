"""The domain as the append sees it: the rule for one event, and the checks across a batch (`Validator`);
`DOMAIN` is the battery domain of events/, the ledger's default.

An `arrived` entry (docs/federation.md) also carries the origin platform's C2SP tlog-proof of its transfer
entry, which the domain cannot check (it holds no cryptography): the proof must verify under the origin
log's key the entry names (`ledger.format.handover.verify_transfer_proof`), at append and at replay alike.
That the key is a configured peer's is the service layer's to check (ledger.usecases.federation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from events import rules
from events.batch import batch_problems
from events.catalogue import EventType
from events.errors import InvalidPayload, PacktraceError, VerificationError
from events.state import Event, PackState
from ledger.format import handover


class Validator(Protocol):
    """What the domain provides to the ledger: the rule for one event, and the checks across a batch."""

    def apply(self, state: PackState | None, event: Event, ctx: Any) -> PackState: ...

    def batch_problems(self, events: Sequence[Event]) -> list[tuple[int, PacktraceError]]: ...


def check_arrival_proof(event: Event) -> None:
    """An `arrived` event's proof of the origin's transfer entry verifies under the key it names (422)."""
    if event.type != EventType.ARRIVED:
        return
    data = event.data
    try:
        handover.verify_transfer_proof(data["transfer"], data["proof"], data["platform_key"], data["platform"])
    except VerificationError as exc:
        raise InvalidPayload(f"refused arrival of pack {event.pack}: {exc.message}", code="bad_handover") from None


def _apply(state: PackState | None, event: Event, ctx: Any) -> PackState:
    after = rules.apply(state, event, ctx)  # first the payload's shape, then its proof
    check_arrival_proof(event)
    return after


class DomainRules:
    """The battery domain (events/) as the ledger's validator."""

    apply = staticmethod(_apply)
    batch_problems = staticmethod(batch_problems)


DOMAIN = DomainRules()
