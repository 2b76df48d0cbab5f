"""GB/T 34014-2017 battery codes: parse, validate, generate.

A code has 24 characters and no check character:

    0RJ P E A0 0HAU0AA F13 1001955
    │   │ │ │  │       │   └ serial of that day (7)
    │   │ │ │  │       └ production date: year, month, day letters (3)
    │   │ │ │  └ traceability code, filed by the maker (7)
    │   │ │ └ spec code, filed by the maker (2)
    │   │ └ battery type (chemistry letter)
    │   └ product type: P pack, M module, C cell
    └ manufacturer code (厂商代码)

A second-life product is re-coded without the traceability field; the Catena-X model writes it in 19
characters with the suffix `R` + product type: `S2L P B A1 G5A 0000007 R P`. The link to the original
codes lives in events (`produced.from`), never in the string.

Every error is `InvalidCode(message, field=...)`; `field` is one of: length, characters, product_type,
chemistry, year, month, day, date, serial, second_life_suffix. (Manufacturer, spec and traceability
codes accept any upper-case letter or digit, so a bad character there is reported as `characters`.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from string import ascii_uppercase, digits
from typing import Literal

from events.errors import InvalidCode

ProductType = Literal["pack", "module", "cell"]
PRODUCT_TYPES: dict[str, ProductType] = {"P": "pack", "M": "module", "C": "cell"}
PRODUCT_LETTERS: dict[str, str] = {name: letter for letter, name in PRODUCT_TYPES.items()}


@dataclass(frozen=True)
class ChemistryLetter:
    meaning: str
    # the `produced.chemistry` values consistent with the letter; empty while the letter is unconfirmed
    chemistries: frozenset[str] = frozenset()


_UNCONFIRMED = ChemistryLetter("unconfirmed")

# The only table of battery-type letters. B and E are confirmed; GB/T 34014 is commonly read as
# A NiMH, C LMO, D LCO, F supercapacitor, G LTO, Z other, but we have not seen that confirmed.
CHEMISTRY_LETTERS: dict[str, ChemistryLetter] = {
    "A": _UNCONFIRMED,
    "B": ChemistryLetter("LFP (lithium iron phosphate)", frozenset({"LFP"})),
    "C": _UNCONFIRMED,
    "D": _UNCONFIRMED,
    "E": ChemistryLetter("ternary (NCM/NCA)", frozenset({"NCM", "NCA"})),
    "F": _UNCONFIRMED,
    "G": _UNCONFIRMED,
    "Z": _UNCONFIRMED,
}


def chemistry_letter(chemistry: str) -> str:
    """The confirmed battery-type letter of a `produced.chemistry` value (`LFP` → `B`); KeyError if none."""
    for letter, meaning in CHEMISTRY_LETTERS.items():
        if chemistry in meaning.chemistries:
            return letter
    raise KeyError(f"no confirmed battery-type letter for chemistry {chemistry!r}")


# Date letters skip I, O, Q, U and Z: 21 letters after the digits 1-9.
_DATE_LETTERS = [c for c in ascii_uppercase if c not in "IOQUZ"]
YEAR_LETTERS: dict[str, int] = {str(n): 2010 + n for n in range(1, 10)} | {
    c: 2020 + i for i, c in enumerate(_DATE_LETTERS)
}
MONTH_LETTERS: dict[str, int] = {str(n): n for n in range(1, 10)} | {"A": 10, "B": 11, "C": 12}
DAY_LETTERS: dict[str, int] = {str(n): n for n in range(1, 10)} | {c: 10 + i for i, c in enumerate(_DATE_LETTERS)}
DAY_31 = "0"  # not confirmed: accepted only in lenient mode
_SKIPPED = "without I, O, Q, U"
_LENIENT_ONLY = "only lenient mode reads it"

CODE_LENGTH = 24
SECOND_LIFE_LENGTH = 19
SECOND_LIFE_MARK = "R"
_ALPHABET = frozenset(ascii_uppercase + digits)

FIELD_WORDS = {
    "manufacturer": "manufacturer code",
    "product_type": "product type",
    "chemistry": "chemistry letter",
    "spec": "spec code",
    "traceability": "traceability code",
    "date": "production date",
    "serial": "serial",
    "second_life_suffix": "second-life suffix",
}


@dataclass(frozen=True)
class _Layout:
    """Where each field sits; 0-based half-open spans."""

    traceability: tuple[int, int] | None
    date: tuple[int, int]
    serial: tuple[int, int]
    suffix: tuple[int, int] | None

    def field_at(self, index: int) -> str:
        spans = {"manufacturer": (0, 3), "product_type": (3, 4), "chemistry": (4, 5), "spec": (5, 7)}
        spans |= {"date": self.date, "serial": self.serial}
        if self.traceability:
            spans["traceability"] = self.traceability
        if self.suffix:
            spans["second_life_suffix"] = self.suffix
        return next(name for name, (lo, hi) in spans.items() if lo <= index < hi)


_FULL = _Layout(traceability=(7, 14), date=(14, 17), serial=(17, 24), suffix=None)
_SECOND_LIFE = _Layout(traceability=None, date=(7, 10), serial=(10, 17), suffix=(17, 19))


@dataclass(frozen=True)
class BatteryCode:
    code: str
    manufacturer: str
    product_type: ProductType
    chemistry_letter: str
    spec: str
    traceability: str | None  # None for a second-life code
    production_date: date | None  # None only in lenient mode, when the letters name no calendar date
    serial: str
    second_life: bool

    @property
    def chemistry(self) -> ChemistryLetter:
        return CHEMISTRY_LETTERS[self.chemistry_letter]

    @property
    def date_letters(self) -> str:
        layout = _SECOND_LIFE if self.second_life else _FULL
        return self.code[layout.date[0] : layout.date[1]]


def parse_code(text: str, *, strict: bool = True) -> BatteryCode:
    """Parse a 24-character code or a 19-character second-life code.

    Strict mode (the default) requires a real calendar date and a 7-digit serial. Lenient mode accepts an
    alphanumeric serial, the unconfirmed day letter `0` (= 31) and letters that name no calendar date
    (`production_date` is then None).
    """
    # A code that passes strict mode reads the same in both modes. The ledger parses every code several
    # times per append, so well-formed codes take one regular expression (and a cache of code-sized
    # strings); anything else goes through the field-by-field checks, which find the first fault and
    # word its message.
    if type(text) is str and len(text) in (CODE_LENGTH, SECOND_LIFE_LENGTH):
        parsed = _well_formed(text)
        if parsed is not None:
            return parsed
    return _checked(text, strict=strict)


# One pattern per length: the shape `_checked` accepts in strict mode, but for the date letters, which
# `_well_formed` looks up, and the calendar date.
_FULL_SHAPE = re.compile(r"[0-9A-Z]{3}[PMC][A-Z][0-9A-Z]{2}[0-9A-Z]{7}(?P<date>[0-9A-Z]{3})(?P<serial>[0-9]{7})")
_SECOND_LIFE_SHAPE = re.compile(r"[0-9A-Z]{3}[PMC][A-Z][0-9A-Z]{2}(?P<date>[0-9A-Z]{3})(?P<serial>[0-9]{7})R[PMC]")


@lru_cache(maxsize=4096)
def _well_formed(text: str) -> BatteryCode | None:
    """The code if it passes strict mode, else None (and `_checked` says why)."""
    second_life = len(text) == SECOND_LIFE_LENGTH
    match = (_SECOND_LIFE_SHAPE if second_life else _FULL_SHAPE).fullmatch(text)
    if match is None or text[4] not in CHEMISTRY_LETTERS:
        return None
    letters = match["date"]
    year, month, day = YEAR_LETTERS.get(letters[0]), MONTH_LETTERS.get(letters[1]), DAY_LETTERS.get(letters[2])
    if year is None or month is None or day is None:
        return None
    try:
        produced = date(year, month, day)
    except ValueError:
        return None
    return BatteryCode(
        code=text,
        manufacturer=text[0:3],
        product_type=PRODUCT_TYPES[text[3]],
        chemistry_letter=text[4],
        spec=text[5:7],
        traceability=None if second_life else text[7:14],
        production_date=produced,
        serial=match["serial"],
        second_life=second_life,
    )


def _checked(text: str, *, strict: bool) -> BatteryCode:
    """`parse_code`, one field at a time, in the order the error messages promise."""
    if not isinstance(text, str):
        raise InvalidCode(f"battery code must be text, not {type(text).__name__}", field="characters")

    def fail(field: str, problem: str) -> InvalidCode:
        return InvalidCode(f"battery code {_shown(text)}: {problem}", field=field)

    if len(text) == CODE_LENGTH:
        layout = _FULL
    elif len(text) == SECOND_LIFE_LENGTH:
        layout = _SECOND_LIFE
    else:
        raise fail(
            "length",
            f"{len(text)} characters; a battery code has {CODE_LENGTH} "
            f"(or {SECOND_LIFE_LENGTH} for a second-life code)",
        )
    for index, char in enumerate(text):
        if char not in _ALPHABET:
            part = FIELD_WORDS[layout.field_at(index)]
            raise fail(
                "characters",
                f"character {char!r} at position {index + 1} ({part}) is not an upper-case letter or digit",
            )

    product = PRODUCT_TYPES.get(text[3])
    if product is None:
        raise fail("product_type", f"product type {text[3]!r} is not P (pack), M (module) or C (cell)")
    if text[4] not in CHEMISTRY_LETTERS:
        raise fail("chemistry", f"chemistry letter {text[4]!r} is not one of A-G or Z")

    year_letter, month_letter, day_letter = (text[i] for i in range(*layout.date))
    if year_letter not in YEAR_LETTERS:
        raise fail("year", f"year letter {year_letter!r} is not a year code (1-9, then A-Y {_SKIPPED})")
    if month_letter not in MONTH_LETTERS:
        raise fail("month", f"month letter {month_letter!r} is not a month code (1-9, A, B, C)")
    if day_letter == DAY_31 and strict:
        raise fail("day", f"day letter '0' (the 31st) is not confirmed in GB/T 34014; {_LENIENT_ONLY}")
    if day_letter not in DAY_LETTERS and day_letter != DAY_31:
        raise fail("day", f"day letter {day_letter!r} is not a day code (1-9, then A-Y {_SKIPPED})")
    year, month = YEAR_LETTERS[year_letter], MONTH_LETTERS[month_letter]
    day = 31 if day_letter == DAY_31 else DAY_LETTERS[day_letter]
    try:
        produced: date | None = date(year, month, day)
    except ValueError:
        if strict:
            raise fail(
                "date",
                f"production date {year_letter}{month_letter}{day_letter} means "
                f"{year:04d}-{month:02d}-{day:02d}, which is not a calendar date",
            ) from None
        produced = None

    serial = text[layout.serial[0] : layout.serial[1]]
    if strict and not serial.isdigit():
        raise fail("serial", f"serial {serial!r} is not 7 digits")

    if layout.suffix:
        suffix = text[layout.suffix[0] : layout.suffix[1]]
        if suffix[0] != SECOND_LIFE_MARK or suffix[1] not in PRODUCT_TYPES:
            raise fail("second_life_suffix", f"second-life suffix {suffix!r} is not R followed by P, M or C")

    trace = text[layout.traceability[0] : layout.traceability[1]] if layout.traceability else None
    return BatteryCode(
        code=text,
        manufacturer=text[0:3],
        product_type=product,
        chemistry_letter=text[4],
        spec=text[5:7],
        traceability=trace,
        production_date=produced,
        serial=serial,
        second_life=layout is _SECOND_LIFE,
    )


def encode_date(d: date) -> str:
    """Year, month and day letters. The 31st encodes as the unconfirmed `0`, which only lenient mode reads."""
    year = {value: letter for letter, value in YEAR_LETTERS.items()}.get(d.year)
    if year is None:
        first, last = min(YEAR_LETTERS.values()), max(YEAR_LETTERS.values())
        raise InvalidCode(f"year {d.year} has no GB/T 34014 year letter ({first}-{last})", field="year")
    month = {value: letter for letter, value in MONTH_LETTERS.items()}[d.month]
    day = DAY_31 if d.day == 31 else {value: letter for letter, value in DAY_LETTERS.items()}[d.day]
    return year + month + day


def make_code(
    maker: str,
    product_type: str,
    chemistry_letter: str,
    spec: str,
    traceability: str,
    produced: date,
    serial: int,
) -> str:
    """Compose a 24-character code; `product_type` is `pack`/`module`/`cell` or its letter."""
    _check_piece("manufacturer", maker, 3)
    _check_piece("spec", spec, 2)
    _check_piece("traceability", traceability, 7)
    text = maker + _product_letter(product_type) + chemistry_letter + spec + traceability
    text += encode_date(produced) + _serial_digits(serial)
    parse_code(text, strict=False)  # the letters' own checks, with their messages
    return text


def make_second_life_code(
    maker: str, product_type: str, chemistry_letter: str, spec: str, produced: date, serial: int
) -> str:
    """Compose a 19-character second-life code: `[maker][type][chemistry][spec][date][serial]R[type]`."""
    _check_piece("manufacturer", maker, 3)
    _check_piece("spec", spec, 2)
    letter = _product_letter(product_type)
    text = maker + letter + chemistry_letter + spec + encode_date(produced) + _serial_digits(serial)
    text += SECOND_LIFE_MARK + letter
    parse_code(text, strict=False)
    return text


def _check_piece(field: str, value: str, length: int) -> None:
    if len(value) != length or not set(value) <= _ALPHABET:
        raise InvalidCode(f"{FIELD_WORDS[field]} {value!r} must be {length} upper-case letters or digits", field=field)


def _product_letter(product_type: str) -> str:
    if product_type in PRODUCT_TYPES:
        return product_type
    if product_type in PRODUCT_LETTERS:
        return PRODUCT_LETTERS[product_type]
    raise InvalidCode(f"product type {product_type!r} is not pack, module or cell", field="product_type")


def _serial_digits(serial: int) -> str:
    if not 0 <= serial <= 9_999_999:
        raise InvalidCode(f"serial {serial} does not fit in 7 digits", field="serial")
    return f"{serial:07d}"


def _shown(text: str) -> str:
    if text and len(text) <= 40 and text.isprintable():
        return text
    return repr(text[:40]) + ("…" if len(text) > 40 else "")
