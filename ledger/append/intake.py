"""Step (1) of an append, outside the log head's lock: each claim's envelope, that its actor is the caller
and owns its key, and its signature check started (on another core for a large batch).

Items refused here do not stop the others being checked, so the answer lists every failing item; nothing
is written unless all pass. Public keys never change for a key id, so they are remembered; revocation is
checked again under the lock, against the time of recording.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from events.errors import AuthorisationError, InvalidClaim, PacktraceError
from ledger.append.request import Request
from ledger.format.claims import SignedClaim, parse_claim
from ledger.format.signatures import SignatureChecker
from ledger.store import appending
from ledger.store.driver import Engine

MAX_BATCH = 10_000


class Intake:
    def __init__(self, engine: Engine, signatures: SignatureChecker) -> None:
        self.engine = engine
        self.signatures = signatures
        self._public_keys: dict[str, tuple[str, bytes]] = {}  # key id -> (owner, raw public key)

    def check(self, request: Request, items: Sequence[tuple[Any, Any]], as_org: str | None) -> None:
        """Fill `request` with the claims of `items` that pass, their checks started, and the refusals."""
        errors: dict[int, PacktraceError] = {}
        signed: list[SignedClaim] = []
        positions: list[int] = []
        checking = self.signatures.start(len(items))
        try:
            for pos, (claim, sig) in enumerate(items):
                try:
                    sc = parse_claim(claim, sig)
                    public = self.owned_key(sc, as_org)
                except PacktraceError as exc:
                    errors[pos] = exc
                    continue
                signed.append(sc)
                checking.add((public, sc.signature(), sc.claim_bytes))
                positions.append(pos)
            if checking.shared:
                checking.flush()  # the worker has the whole batch, while the rules are applied and rows written
            else:
                checking.failures()  # a small batch is verified here, in the caller's thread, not by the writer
        except BaseException:
            checking.release()  # e.g. the database was unreachable for an unknown key: free the worker
            raise
        request.claims, request.checking, request.positions, request.rejected = signed, checking, positions, errors

    def owned_key(self, sc: SignedClaim, as_org: str | None) -> bytes:
        """The raw public key of the claim's key, which must belong to its actor, the caller."""
        if as_org is not None and sc.actor != as_org:
            raise AuthorisationError(
                f"claim actor {sc.actor!r} is not the authenticated organisation {as_org!r}", code="actor_mismatch"
            )
        found = self._public_keys.get(sc.key_id)
        if found is None:
            with self.engine.connect() as conn:
                record = appending.signing_keys(conn, [sc.key_id]).get(sc.key_id)
            if record is None:
                raise InvalidClaim(f"unknown signing key {sc.key_id!r}", code="unknown_key")
            found = self._public_keys[sc.key_id] = (record.org, record.public_key)
        owner, public = found
        if owner != sc.actor:
            raise AuthorisationError(
                f"key {sc.key_id!r} belongs to {owner!r}, not to the claim's actor {sc.actor!r}", code="key_not_owned"
            )
        return public

    def close(self) -> None:
        self.signatures.close()
