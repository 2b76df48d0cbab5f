"""The published JSON Schema of every event type's payload, with Chinese and English descriptions, and the
generated reference docs/events.md.

`event_schema(type)` is what `GET /v1/schemas/events/{type}` answers: the payload schema of
events.catalogue (the one `parse_payload` enforces) with each field described in both languages
(events.descriptions): `description` holds both, `x-description-zh` and `x-description-en` each one.

`python -m events.schemas --markdown` prints docs/events.md: every event type, who may post it
(events.permissions), the statuses it is allowed in (events.lifecycle), its fields with their types,
limits and descriptions, and an example claim. tests/events/test_event_schemas.py fails when the file
is not what this prints.
"""

from __future__ import annotations

import argparse
import copy
import json
import uuid
from typing import Any

from events.catalogue import EVENT_TYPE_OF, FREE_TEXT_PATTERN, PAYLOAD_MODELS, EventType
from events.descriptions import EVENT_TEXT, EXAMPLES, FIELD_TEXT
from events.errors import NotFoundError
from events.lifecycle import GENESES, TRANSITIONS
from events.orgs import ROLE_NAMES_ZH
from events.permissions import PERMISSIONS, Grant, Relation, Scope
from events.text import NO_CONTROL_PATTERN

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_PATH = "/v1/schemas/events/{type}"
EXAMPLE_AT = "2026-11-20T08:30:00Z"
EXAMPLE_NAMESPACE = uuid.UUID("3f1b6c2e-8a4d-5e9f-b0c1-d2e3f4a5b6c7")


def event_types() -> list[str]:
    """Every event type, in the catalogue's order."""
    return [str(event_type) for event_type in EventType]


def event_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of `event_type`'s payload, described in Chinese and English;
    NotFoundError (`unknown_event_type`) for a type the catalogue does not have."""
    known = EVENT_TYPE_OF.get(event_type) if isinstance(event_type, str) else None
    if known is None:
        raise NotFoundError(
            f"unknown event type {event_type!r}; event types are: {', '.join(sorted(EventType))}",
            code="unknown_event_type",
        )
    model = PAYLOAD_MODELS[known]
    schema = copy.deepcopy(model.model_json_schema())
    _describe(schema, model.__name__)
    for name, definition in schema.get("$defs", {}).items():
        if "properties" in definition:  # the nested payload models (not pydantic's JsonValue)
            _describe(definition, name)
    name_zh, zh, en = EVENT_TEXT[known]
    schema.pop("title", None)
    schema.pop("description", None)
    return {
        "$schema": DIALECT,
        "$id": f"urn:packtrace:schema:event:{known}",
        "title": f"{known}（{name_zh}）",
        "description": f"{zh} {en}",
        "x-description-zh": zh,
        "x-description-en": en,
        **schema,
    }


def _describe(schema: dict[str, Any], model: str) -> None:
    texts = FIELD_TEXT[model]
    for name, prop in schema.get("properties", {}).items():
        zh, en = texts[name]
        prop.pop("title", None)
        prop["description"] = f"{zh} {en}"
        prop["x-description-zh"] = zh
        prop["x-description-en"] = en


# -- docs/events.md -------------------------------------------------------------------------------------

_RELATION: dict[Relation, tuple[str, str]] = {
    Relation.OWNS_PREFIX: ("拥有编码中的厂商代码", "that owns the maker prefix of the pack's code"),
    Relation.NAMED_RECEIVER: ("是 `shipped.to` 指定的接收方", "that is the receiver named in `shipped.to`"),
    Relation.PRODUCER: ("是该电池包的生产企业", "that is the pack's manufacturer"),
    Relation.AUTHOR: ("是被更正记录的提交者", "that posted the entry it corrects"),
    Relation.OWNER: ("是该电池包的所有权人", "that is the pack's owner"),
}
_SCOPE: dict[Scope, tuple[str, str]] = {
    Scope.REGULAR_CODE: ("普通编码", "a regular code"),
    Scope.SECOND_LIFE_CODE: ("梯次产品编码", "a second-life code"),
    Scope.INTO_VEHICLE: ("装入车辆（`vin`）", "into a vehicle (`vin`)"),
    Scope.INTO_SITE: ("装入储能站点（`site`）", "at a storage site (`site`)"),
    Scope.IN_VEHICLE: ("电池包在车上时", "while the pack is in a vehicle"),
    Scope.OUT_OF_VEHICLE: ("电池包不在车上时", "while the pack is not in a vehicle"),
    Scope.IMPORTED: ("进口电池包（`data.imported`）", "an imported pack (`data.imported`)"),
    Scope.RECOVERED: (
        "从拆解的电池包中整体拆下的模组（`data.recovered_from`）",
        "a module recovered whole from a dismantled pack (`data.recovered_from`)",
    ),
}


def _grant_text(grant: Grant) -> tuple[str, str]:
    zh: list[str] = []
    en: list[str] = []
    if grant.roles is not None:
        roles = sorted(grant.roles)
        zh.append("、".join(f"{ROLE_NAMES_ZH[r]}（`{r}`）" for r in roles))
        named = ", ".join(f"`{r}`" for r in roles)
        en.append(("with the role " if len(roles) == 1 else "with one of the roles ") + named)
    if grant.whitelisted:
        zh.append("列入规范条件名单")
        en.append("on the 规范条件 whitelist")
    if grant.custody:
        zh.append("电池包持有方")
        en.append("holding the pack (its custodian)")
    if grant.relation is not None:
        zh.append(_RELATION[grant.relation][0])
        en.append(_RELATION[grant.relation][1])
    if not zh:
        return "任何企业", "any organisation"
    text_zh, text_en = "，".join(zh), ("an organisation " + ", ".join(en)).replace(", that ", " that ")
    if grant.scope is not None:
        text_zh = f"{_SCOPE[grant.scope][0]}：{text_zh}"
        text_en = f"{_SCOPE[grant.scope][1]}: {text_en}"
    return text_zh, text_en


def _allowed_in(event_type: EventType) -> str:
    statuses = [str(source) for (source, event) in TRANSITIONS if event == event_type]
    if event_type in GENESES:
        return "电池包尚不存在时 / when the pack does not exist yet"
    return ", ".join(f"`{status}`" for status in statuses)


def _number(value: float) -> str:
    return f"{value:,g}" if isinstance(value, float) else f"{value:,}"


def _limits(prop: dict[str, Any]) -> str:
    parts: list[str] = []
    if "exclusiveMinimum" in prop:
        parts.append(f"> {_number(prop['exclusiveMinimum'])}")
    if "minimum" in prop:
        parts.append(f"≥ {_number(prop['minimum'])}")
    if "maximum" in prop:
        parts.append(f"≤ {_number(prop['maximum'])}")
    if "minLength" in prop or "maxLength" in prop:
        parts.append(f"{prop.get('minLength', 0)}–{_number(prop['maxLength'])} characters")
    if "minItems" in prop or "maxItems" in prop:
        parts.append(f"{prop.get('minItems', 0)}–{_number(prop['maxItems'])} items")
    if "minProperties" in prop:
        parts.append(f"at least {prop['minProperties']} member")
    if "maxProperties" in prop:
        parts.append(f"at most {prop['maxProperties']} members")
    pattern = prop.get("pattern")
    if pattern == NO_CONTROL_PATTERN:
        parts.append("no control characters")
    elif pattern == FREE_TEXT_PATTERN:
        parts.append("no control characters but line breaks and tabs")
    elif pattern is not None:
        parts.append(f"pattern `{pattern}`")
    return "; ".join(parts)


def _plain(prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema of a value without its `null` alternative, and whether null was allowed."""
    options = prop.get("anyOf")
    if options is None:
        return prop, False
    kept = [option for option in options if option.get("type") != "null"]
    return ({**prop, **kept[0]} if len(kept) == 1 else prop), len(kept) < len(options)


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return "object"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{value}`" for value in prop["enum"])
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"object: name → {_type(prop['additionalProperties'])}"
    if kind == "boolean":
        return "true or false"
    return str(kind or "any JSON value")


def _rows(schema: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> list[str]:
    rows: list[str] = []
    required = set(schema.get("required", ()))
    for name, raw in schema.get("properties", {}).items():
        prop, _ = _plain(raw)
        path = f"{prefix}{name}"
        limits = _limits(prop)
        items = prop.get("items", {}) if prop.get("type") == "array" else {}
        if items:
            limits = "; ".join(part for part in (limits, _limits(items)) if part)
        need = "yes" if name in required else "no"
        row = [f"`{path}`", _type(prop), need, limits, raw["x-description-zh"], raw["x-description-en"]]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        ref = prop.get("$ref") or items.get("$ref")
        if ref is not None:
            nested = defs[ref.rsplit("/", 1)[1]]
            rows += _rows(nested, defs, f"{path}[]." if items else f"{path}.")
    return rows


def example_claim(event_type: EventType) -> dict[str, Any]:
    """The example claim of docs/events.md for `event_type` (unsigned: sign it as docs/integration.md §2)."""
    pack, actor, data = EXAMPLES[event_type]
    return {
        "v": 1,
        "id": str(uuid.uuid5(EXAMPLE_NAMESPACE, str(event_type))),
        "pack": pack,
        "type": str(event_type),
        "at": EXAMPLE_AT,
        "actor": actor,
        "key": f"{actor}/2026-1",
        "data": data,
    }


def markdown() -> str:
    """docs/events.md."""
    out = [
        "# Event types and their payloads（事件类型与数据字段）",
        "",
        "<!-- Generated by `python -m events.schemas --markdown > docs/events.md`; do not edit by hand.",
        "     tests/events/test_event_schemas.py fails when this file is out of date. -->",
        "",
        "Every event posted to `POST /v1/events` is a signed claim (docs/integration.md §2) whose `data` is the",
        "payload of its `type`. This page lists every type: who may post it, the statuses of the pack it is",
        "allowed in, its fields and an example claim. The same schemas are served as JSON Schema (2020-12) at",
        f"`GET {SCHEMA_PATH}` (`GET /v1/schemas/events` lists the types), each field described in Chinese",
        "(`x-description-zh`) and English (`x-description-en`). Unknown fields are refused (`422 invalid_payload`);",
        "a field marked “no” may be left out (or be `null`). Codes are GB/T 34014 battery codes (24 characters,",
        "19 for a second-life product), VINs 17 characters with their check digit, organisations their ids.",
        "",
        "每个事件都是一条签名声明，`data` 为对应类型的数据。",
        "下表列出每种事件：谁可以提交、允许的电池包状态、字段及示例。",
        f"同样的内容以 JSON Schema 形式提供：`GET {SCHEMA_PATH}`。",
        "",
        "| type 类型 | 中文 |",
        "|---|---|",
    ]
    out += [f"| [`{t}`](#{t}) | {EVENT_TEXT[t][0]} |" for t in EventType]
    for event_type in EventType:
        name_zh, zh, en = EVENT_TEXT[event_type]
        schema = event_schema(str(event_type))
        out += ["", f'<a id="{event_type}"></a>', "", f"## `{event_type}` {name_zh}", "", zh, "", en, ""]
        out += ["**Who may post 谁可提交** (any one of):", ""]
        for grant in PERMISSIONS[event_type]:
            text_zh, text_en = _grant_text(grant)
            out.append(f"- {text_en} / {text_zh}")
        out += ["", f"**Allowed when the pack is 允许的状态**: {_allowed_in(event_type)}", ""]
        out += [
            "| field 字段 | type 类型 | required 必填 | limits 限制 | 说明 | description |",
            "|---|---|---|---|---|---|",
            *_rows(schema, schema.get("$defs", {})),
            "",
            "Example claim 示例:",
            "",
            "```json",
            json.dumps(example_claim(event_type), ensure_ascii=False, indent=2),
            "```",
        ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m events.schemas", description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print docs/events.md")
    parser.add_argument("--schema", metavar="TYPE", help="print the JSON Schema of one event type")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(), end="")
    elif args.schema:
        print(json.dumps(event_schema(args.schema), ensure_ascii=False, indent=2))
    else:
        parser.print_help()


if __name__ == "__main__":
    main()
