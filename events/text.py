"""Rules for the text a caller sends that reaches storage: no control characters and no lone surrogates
(PostgreSQL's text and json refuse U+0000, UTF-8 cannot carry a lone surrogate, and neither has a place
in an identifier or a name), and the documented lengths (docs/integration.md, "Limits").

Free text inside an event payload (a description, a reason) may hold line breaks and tabs; identifiers,
names and filters hold none.
"""

from __future__ import annotations

import re

from events.errors import InputError

ORG_NAME_MAX = 200
KEY_ID_MAX = 128

# C0 controls, DEL, C1 controls and the surrogate range (only lone surrogates reach a Python str from JSON)
_REFUSED = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_REFUSED_IN_FREE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# JSON Schema (ECMA-262) form of "no refused character", for the OpenAPI patterns
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"

INVALID_CHARACTER = "invalid_character"


def refused_character(text: str, *, free_text: bool = False) -> str | None:
    """How to name the first refused character of `text` (e.g. "U+0000 at position 3"), or None."""
    found = (_REFUSED_IN_FREE_TEXT if free_text else _REFUSED).search(text)
    if found is None:
        return None
    char = found.group()
    kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    return f"U+{ord(char):04X} ({kind}) at position {found.start()}"


def check_text(text: str, what: str, *, max_length: int | None = None, error: type[InputError] = InputError) -> str:
    """`text` if it holds no refused character and fits `max_length`; else `error` naming `what`."""
    bad = refused_character(text)
    if bad is not None:
        raise error(f"{what} holds {bad}", code=INVALID_CHARACTER)
    if max_length is not None and len(text) > max_length:
        raise error(f"{what} is {len(text)} characters long; the limit is {max_length}", code="too_long")
    return text
