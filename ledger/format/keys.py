"""When a key may sign: the one rule for key validity, shared by the append path, replay and bundles.

A key signs for entries recorded from `valid_from` (inclusive) until `revoked_at` (exclusive). Revocation
is ordered with appends (ledger.append.head), so at the moment of an append a revoked key's `revoked_at`
is never later than the recording time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Refusal = Literal["key_not_yet_valid", "key_revoked"]


@dataclass(frozen=True)
class KeyValidity:
    valid_from: datetime
    revoked_at: datetime | None

    def refusal(self, moment: datetime) -> Refusal | None:
        """Why the key may not sign an entry recorded at `moment`, or None when it may."""
        if moment < self.valid_from:
            return "key_not_yet_valid"
        if self.revoked_at is not None and moment >= self.revoked_at:
            return "key_revoked"
        return None

    def covers(self, moment: datetime) -> bool:
        return self.refusal(moment) is None
