"""Vehicle identification numbers (GB 16735 / ISO 3779): 17 characters, no I, O or Q, check digit at 9."""

from __future__ import annotations

import re
from string import digits

from events.errors import InvalidVin

VIN_LENGTH = 17
CHECK_POSITION = 9  # 1-based
FORBIDDEN_LETTERS = "IOQ"
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# ISO 3779 transliteration of letters to numbers (I, O and Q never occur).
TRANSLITERATION: dict[str, int] = (
    dict(zip("ABCDEFGH", range(1, 9), strict=True))
    | dict(zip("JKLMN", range(1, 6), strict=True))
    | {"P": 7, "R": 9}
    | dict(zip("STUVWXYZ", range(2, 10), strict=True))
    | {d: int(d) for d in digits}
)
_TRANSLITERATED = re.compile(r"[0-9A-HJ-NPR-Z]*")  # only characters TRANSLITERATION knows


def validate_vin(text: str) -> str:
    """Return the VIN unchanged if it is well formed and its check digit is right; else raise InvalidVin."""
    if not isinstance(text, str):
        raise InvalidVin(f"VIN must be text, not {type(text).__name__}")
    shown = repr(text[:40])
    if len(text) != VIN_LENGTH:
        raise InvalidVin(f"VIN {shown}: {len(text)} characters; a VIN has {VIN_LENGTH}")
    _check_characters(text, shown)
    expected = check_digit(text)
    found = text[CHECK_POSITION - 1]
    if found != expected:
        raise InvalidVin(f"VIN {shown}: check digit (position 9) expected {expected!r}, found {found!r}")
    return text


def check_digit(vin: str) -> str:
    """The check character for a 17-character VIN (position 9 itself has weight 0)."""
    total = sum(TRANSLITERATION[char] * weight for char, weight in zip(vin, WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_with_check_digit(vin: str) -> str:
    """Fill in position 9 of a 17-character VIN (whatever is there is a placeholder)."""
    shown = repr(vin[:40])
    if len(vin) != VIN_LENGTH:
        raise InvalidVin(f"VIN {shown}: {len(vin)} characters; a VIN has {VIN_LENGTH}")
    filled = vin[: CHECK_POSITION - 1] + "0" + vin[CHECK_POSITION:]
    _check_characters(filled, shown)
    return filled[: CHECK_POSITION - 1] + check_digit(filled) + filled[CHECK_POSITION:]


def _check_characters(text: str, shown: str) -> None:
    if _TRANSLITERATED.fullmatch(text):
        return  # the common case in one step; the loop finds the first bad character to name it
    for index, char in enumerate(text, start=1):
        if char in FORBIDDEN_LETTERS:
            raise InvalidVin(f"VIN {shown}: letter {char!r} at position {index} is never used (no I, O, Q)")
        if char not in TRANSLITERATION:
            raise InvalidVin(
                f"VIN {shown}: character {char!r} at position {index} is not an upper-case letter or digit"
            )
