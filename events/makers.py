"""Which maker a regulator means: the rule that turns what someone typed into one producing organisation.

A maker is an organisation that may record a pack's `produced` entry (events.permissions): a battery
manufacturer, a second-life company for the codes it gives repurposed packs, or an importer (进口商) for the
packs it imports under its own maker codes (the foreign manufacturer is in the entry, not a maker). A value
names a maker when, compared as `maker_key` compares them (Unicode NFKC, case folded, spaces trimmed and
runs of spaces made one), it equals

  (1) the maker's organisation id (`catl`, `CATL`),
  (2) one of its GB/T 34014 manufacturer codes (`0RJ`, `0rj`), or
  (3) its registered name (`宁德时代新能源科技`; a maker registered under an English name, such as
      `LG Energy Solution`, by that name in any case: the registry holds one name, so "the English name"
      is the registered name when it is English, and the id otherwise);

and, only when no maker matches so, when (4) the value is part of exactly one maker's registered name
(`宁德时代`), at least two characters long. A value matching no maker is refused (`unknown_manufacturer`),
never read as "no packs"; a value matching several is refused naming them (`ambiguous_manufacturer`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from events.catalogue import EventType
from events.errors import InputError
from events.orgs import Org, Role
from events.permissions import PERMISSIONS, Scope
from events.text import ORG_NAME_MAX, refused_character

UNKNOWN_MANUFACTURER = "unknown_manufacturer"
AMBIGUOUS_MANUFACTURER = "ambiguous_manufacturer"
MIN_PART = 2  # characters of a name a partial match needs
NAMED_IN_REFUSAL = 10  # makers an ambiguity names (a partial name can match many)

# the roles that may record `produced`: the makers a filter can name (a dismantler starting the chain of a
# module it recovered is none: the module's producer is the dismantled pack's, docs/modules.md)
MAKER_ROLES: frozenset[Role] = frozenset(
    role
    for grant in PERMISSIONS[EventType.PRODUCED]
    if grant.scope is not Scope.RECOVERED
    for role in (grant.roles or ())
)

_SPACES = re.compile(r"\s+")


def maker_key(text: str) -> str:
    """How makers are compared: NFKC (full-width `ＣＡＴＬ` and `（福建）` read as `CATL` and `(福建)`), case
    folded, spaces trimmed and runs of spaces made one."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def is_maker(org: Org) -> bool:
    return bool(org.roles & MAKER_ROLES)


def check_maker_text(field: str, text: str) -> str:
    """The value's form (before it is looked up): not blank, no control characters, at most a name's length."""
    bad = refused_character(text)
    if bad is not None:
        raise InputError(f"{field} {text[:40]!r} holds {bad}", code="invalid_filter")
    if len(text) > ORG_NAME_MAX:
        raise InputError(f"{field} is {len(text)} characters long; the limit is {ORG_NAME_MAX}", code="invalid_filter")
    if not maker_key(text):
        raise InputError(f"{field} is blank; give a maker's organisation id, code or name", code="invalid_filter")
    return text


def match_maker(orgs: Iterable[Org], text: str, *, field: str = "manufacturer") -> Org:
    """The one maker among `orgs` that `text` names (rules (1)-(4) above), or InputError."""
    check_maker_text(field, text)
    key = maker_key(text)
    makers = sorted((org for org in orgs if is_maker(org)), key=lambda org: org.id)
    exact = [org for org in makers if key in _exact_keys(org)]
    found = exact or ([org for org in makers if key in maker_key(org.name)] if len(key) >= MIN_PART else [])
    if len(found) == 1:
        return found[0]
    if not found:
        raise InputError(
            f"unknown manufacturer {text!r}: no maker's organisation id, manufacturer code or registered name "
            "matches it",
            code=UNKNOWN_MANUFACTURER,
        )
    named = ", ".join(f"{org.id} ({org.name})" for org in found[:NAMED_IN_REFUSAL])
    more = f" and {len(found) - NAMED_IN_REFUSAL} more" if len(found) > NAMED_IN_REFUSAL else ""
    raise InputError(
        f"{field} {text!r} matches {len(found)} makers: {named}{more}; give its organisation id or code",
        code=AMBIGUOUS_MANUFACTURER,
    )


def _exact_keys(org: Org) -> set[str]:
    return {maker_key(org.id), maker_key(org.name), *(maker_key(code) for code in org.manufacturer_codes)}
