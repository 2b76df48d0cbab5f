"""The Catena-X BatteryPass 6.1.0 JSON schema (its URN reads 6.0.0), shipped as package data
(`events/catenax/`, byte for byte the copy in tests/vectors/), and the checks made against it: a value against
one of its definitions, a whole document against the whole schema. The schema's draft is Draft 4; the
validator is `jsonschema_rs`'s.

A path is the dotted chain of member names from the document's root (`performance.rated.power.value`).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema_rs

SCHEMA_FILE = "catenax-batterypass-6.1.0-schema.json"
_REF_PREFIX = "#/components/schemas/"


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((files("events") / "catenax" / SCHEMA_FILE).read_bytes())
    return loaded


def _definitions() -> dict[str, Any]:
    found: dict[str, Any] = schema()["components"]["schemas"]
    return found


def _resolved(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = _definitions()[node["$ref"].removeprefix(_REF_PREFIX)]
    return node


def members(path: str) -> dict[str, Any] | None:
    """The properties of the object at `path` ("" for the root), or None if it is not an object with members."""
    node = _resolved(schema())
    for key in path.split(".") if path else ():
        properties = node.get("properties")
        if not isinstance(properties, dict) or key not in properties:
            return None
        node = _resolved(properties[key])
    properties = node.get("properties")
    return properties if isinstance(properties, dict) else None


def definition_of(path: str) -> str | None:
    """The name of the definition (`#/components/schemas/<name>`) the member at `path` refers to; None for a
    path the schema does not have."""
    parent, _, key = path.rpartition(".")
    properties = members(parent)
    if properties is None or key not in properties:
        return None
    ref = properties[key].get("$ref", "")
    return ref.removeprefix(_REF_PREFIX) if ref.startswith(_REF_PREFIX) else None


@cache
def _validator(definition: str | None) -> jsonschema_rs.Draft4Validator:
    whole = schema()
    target = whole if definition is None else {
        "$schema": whole["$schema"], "components": whole["components"], "allOf": [{"$ref": _REF_PREFIX + definition}]
    }  # fmt: skip
    return jsonschema_rs.Draft4Validator(target)


def _problems(validator: jsonschema_rs.Draft4Validator, value: Any) -> list[str]:
    out = []
    for error in validator.iter_errors(value):
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.instance_path)
        out.append(f"{where.lstrip('.')}: {error.message}" if where else error.message)
    return out


def definition_problems(value: Any, definition: str) -> list[str]:
    """The schema's complaints about `value` as an instance of `#/components/schemas/<definition>`, each
    prefixed with where inside the value it is (`[0].unit: ...`) when not the value itself."""
    return _problems(_validator(definition), value)


def document_problems(document: dict[str, Any]) -> list[str]:
    """The schema's complaints about `document` as a whole BatteryPass."""
    return _problems(_validator(None), document)
