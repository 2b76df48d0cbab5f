"""The domain as the append sees it: the rule for one event, and the checks across a batch (`Validator`);
`DOMAIN` is the battery domain of events/, the ledger's default."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from events import rules
from events.batch import batch_problems
from events.errors import PacktraceError
from events.state import Event, PackState


class Validator(Protocol):
    """What the domain provides to the ledger: the rule for one event, and the checks across a batch."""

    def apply(self, state: PackState | None, event: Event, ctx: Any) -> PackState: ...

    def batch_problems(self, events: Sequence[Event]) -> list[tuple[int, PacktraceError]]: ...


class DomainRules:
    """The battery domain (events/) as the ledger's validator."""

    apply = staticmethod(rules.apply)
    batch_problems = staticmethod(batch_problems)


DOMAIN = DomainRules()
