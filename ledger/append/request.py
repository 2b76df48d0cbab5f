"""One caller's claims on their way through an append: those that passed the checks outside the lock,
their signature checks in flight, the items refused already, and what became of the request."""

from __future__ import annotations

from dataclasses import dataclass, field

from events.errors import PacktraceError
from ledger.append.outcome import Appended, BatchRejected
from ledger.format.claims import SignedClaim, bad_signature
from ledger.format.signatures import PendingChecks


@dataclass(eq=False)  # compared by identity: the group commit looks requests up in lists
class Request:
    claims: list[SignedClaim] = field(default_factory=list)
    checking: PendingChecks | None = None  # the claims' signature checks, started outside the lock
    positions: list[int] = field(default_factory=list)  # each claim's position in the caller's batch
    rejected: dict[int, PacktraceError] = field(default_factory=dict)  # items refused before the lock
    results: list[Appended] | None = None
    error: BaseException | None = None

    def outcome(self) -> list[Appended]:
        """The entries, once settled; or the error that refused the request."""
        if self.error is not None:
            raise self.error
        assert self.results is not None
        return self.results

    def signature_failures(self) -> dict[int, PacktraceError]:
        """The claims (by their number in `claims`) whose signatures do not verify."""
        if self.checking is None:
            return {}
        return {n: bad_signature(self.claims[n]) for n in self.checking.failures()}

    def rejection(self, errors: dict[int, PacktraceError]) -> BatchRejected:
        """The request refused: `errors` by claim number, with the items refused before the lock."""
        every = {self.positions[n]: exc for n, exc in errors.items()} | self.rejected
        return BatchRejected(sorted(every.items()))

    def refuse_if_forged(self) -> bool:
        """Refuse the request if any of its signatures does not verify (found after its rows were written)."""
        failures = self.signature_failures()
        if not failures:
            return False
        self.results, self.error = None, self.rejection(failures)
        return True
