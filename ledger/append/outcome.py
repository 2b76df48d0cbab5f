"""What an append answers: the entries (`Appended`), or the refusal of a whole batch (`BatchRejected`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from events.errors import PacktraceError


class BatchRejected(PacktraceError):
    """Some items of a batch failed; nothing was appended. `errors` lists (position, error)."""

    code = "batch_rejected"

    def __init__(self, errors: list[tuple[int, PacktraceError]]) -> None:
        positions = ", ".join(f"#{pos}: {err.message}" for pos, err in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} item(s) rejected, nothing was recorded: {positions}{more}")
        self.errors = errors


@dataclass(slots=True)
class Appended:
    """One entry as the append answers it; `created` is False for an idempotent retry. (Not frozen: one
    is made per appended claim, and a frozen dataclass's __init__ took several times as long.)"""

    body: bytes  # the entry's canonical bytes
    hash: str
    index: int
    seq: int
    created: bool

    @property
    def entry(self) -> dict[str, Any]:
        return dict(json.loads(self.body))
