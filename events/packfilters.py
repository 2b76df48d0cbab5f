"""The pack list's `flag` and `batch` filters: what they may hold, and what they select.

A pack carries a flag from its first entry of a flagging type on (events.effects: `incident`, `recalled`,
`corrected` set a flag named after the event and nothing clears it), so "flagged `incident`" is "has an
`incident` entry". `lost` and `exported` are statuses, not flags (`status=lost`). A batch is the `batch`
of the pack's `produced` entry, compared exactly as recorded (after trimming the spaces around the value).
"""

from __future__ import annotations

from events.catalogue import SHORT_TEXT_MAX, EventType
from events.effects import EFFECTS, flagged
from events.errors import InputError
from events.lifecycle import Status
from events.text import refused_character

PACK_FLAGS: tuple[str, ...] = tuple(sorted(str(kind) for kind, effect in EFFECTS.items() if effect is flagged))
FLAGGING_EVENTS: dict[str, EventType] = {str(kind): kind for kind, effect in EFFECTS.items() if effect is flagged}


def check_flag_filter(value: str | None) -> str | None:
    """None, or one of PACK_FLAGS; a status named as a flag is pointed to `status=`."""
    if value is None or value in PACK_FLAGS:
        return value
    hint = f" ({value!r} is a status: status={value})" if value in set(Status) else ""
    raise InputError(f"unknown flag {value[:40]!r}; flags are: {', '.join(PACK_FLAGS)}{hint}", code="invalid_filter")


def check_batch_filter(value: str | None) -> str | None:
    """None, or a batch as `produced` records it: trimmed, 1 to SHORT_TEXT_MAX characters, no control
    characters."""
    if value is None:
        return None
    bad = refused_character(value)
    if bad is not None:
        raise InputError(f"batch {value[:40]!r} holds {bad}", code="invalid_filter")
    batch = value.strip()
    if not batch:
        raise InputError("batch is blank", code="invalid_filter")
    if len(batch) > SHORT_TEXT_MAX:
        raise InputError(
            f"batch is {len(batch)} characters long; a batch is at most {SHORT_TEXT_MAX}", code="invalid_filter"
        )
    return batch
