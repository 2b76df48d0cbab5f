"""An event's payload as a person reads it: members by their names in the page's language, closed values
named (`waste` → 废旧电池), organisations by name, masses as `Li 12.3 kg`, numbers rounded; what a person typed
(a description, a note, an output's name) is shown as typed, marked `translate="no"` (it is data, not the
page's words)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from api.web.i18n import Words
from api.web.i18n_ui import FIELD_UNITS, VALUE_NAMES
from events import passport

# the members that name an organisation by its id
ORG_FIELDS = frozenset({"to", "custodian", "sender", "lessee", "owner", "lessor", "from"})
PASSPORT_MEMBER = "attributes"  # a `passport` claim's partial BatteryPass document


@dataclass(frozen=True)
class Shown:
    label: str
    text: str
    typed: bool  # a person's own words (free text), not the page's


def number(value: float | int, digits: int = 2) -> str:
    """A number for people: at most `digits` decimals, no float noise (1798.5679999999993 → 1,798.57)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def _unit(name: str) -> str:
    return next((unit for suffix, unit in FIELD_UNITS.items() if name.endswith(suffix)), "")


def _scalar(value: Any, t: Words, unit: str = "") -> tuple[str, bool]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value) + (f" {unit}" if unit else ""), False
    if isinstance(value, bool):
        return (t("yes") if value else t("no")), False
    text = str(value)
    if text in VALUE_NAMES:
        return t.value(text), False
    return text, True


def _claimed(attributes: Mapping[str, Any]) -> str:
    """A `passport` claim's attributes as its BatteryPass sections and how many attributes each (`materials 31`)."""
    sections = Counter(path.split(".", 1)[0] for path, _ in passport.split_attributes(attributes)[0])
    return " · ".join(f"{section} {count}" for section, count in sections.items())


def _text(name: str, value: Any, t: Words, org_name: Callable[[str], str]) -> tuple[str, bool]:
    unit = _unit(name)
    if name == PASSPORT_MEMBER and isinstance(value, Mapping):
        return _claimed(value), True  # the schema's own member names: data, not the page's words
    if name in ORG_FIELDS and isinstance(value, str):
        return org_name(value), False
    if isinstance(value, Mapping):
        parts, typed = [], False
        for key, inner in value.items():
            text, free = _scalar(inner, t, unit or _unit(str(key)))
            label = t.value(key) if key in VALUE_NAMES else t.field(str(key))
            parts.append(f"{label} {text}")
            typed = typed or free
        return " · ".join(parts), typed
    if isinstance(value, list | tuple):
        parts, typed = [], False
        for item in value:
            if isinstance(item, Mapping):
                inner = [_text(str(k), v, t, org_name) for k, v in item.items() if v is not None and k != "kind"]
                head = t.value(item["kind"]) + " " if "kind" in item else ""
                parts.append(head + " ".join(text for text, _ in inner))
                typed = typed or any(free for _, free in inner)
            else:
                text, free = _scalar(item, t, unit)
                parts.append(text)
                typed = typed or free
        return "; ".join(parts), typed
    return _scalar(value, t, unit)


# an arrival's evidence (docs/federation.md): its proof is shown verified as the origin's part, not as text; its
# transfer entry by where it stands in the origin's log
NOT_SHOWN = frozenset({"proof"})


def shown(data: Mapping[str, Any], t: Words, org_name: Callable[[str], str]) -> list[Shown]:
    """Each member of a payload as (name, text, typed)."""
    rows = []
    for name, value in data.items():
        if value is None or value == {} or value == [] or name in NOT_SHOWN:
            continue
        if name == "transfer" and isinstance(value, Mapping) and "claim" in value:
            rows.append(Shown(t.field(name), f"{t.field('index')} {value.get('index')}", False))
            continue
        text, typed = _text(name, value, t, org_name)
        rows.append(Shown(t.field(name), text, typed))
    return rows
