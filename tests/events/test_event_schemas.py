"""The published payload schemas (issue 19): every field of every event type described in Chinese and
English (events.descriptions), every example a valid claim, and docs/events.md the generated text."""

from __future__ import annotations

import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from events.catalogue import PAYLOAD_MODELS, EventType, parse_payload
from events.descriptions import EVENT_TEXT, EXAMPLES, FIELD_TEXT
from events.errors import NotFoundError
from events.schemas import event_schema, example_claim, main, markdown
from ledger.format.claims import parse_claim

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "events.md"


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> dict[str, type[BaseModel]]:
    seen[model.__name__] = model
    for info in model.model_fields.values():
        for outer in (info.annotation, *typing.get_args(info.annotation)):
            for inner in (outer, *typing.get_args(outer)):
                if isinstance(inner, type) and issubclass(inner, BaseModel) and inner.__name__ not in seen:
                    _models(inner, seen)
    return seen


def all_models() -> dict[str, type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for model in PAYLOAD_MODELS.values():
        _models(model, seen)
    return seen


def test_docs_events_md_is_the_generated_text() -> None:
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/events.md is out of date: regenerate it with `python -m events.schemas --markdown > docs/events.md`"
    )


def test_the_module_prints_the_doc() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "events.schemas", "--markdown"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert printed.stdout == markdown() and printed.stderr == ""


def test_without_a_flag_the_module_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    main([])
    assert "--markdown" in capsys.readouterr().out


def test_every_field_of_every_model_is_described_and_nothing_else() -> None:
    described = {(model, name) for model, fields in FIELD_TEXT.items() for name in fields}
    models = all_models().items()
    fields = {(name, info.alias or field) for name, model in models for field, info in model.model_fields.items()}
    assert described == fields


def test_every_description_is_in_both_languages() -> None:
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for texts in [*FIELD_TEXT.values()]:
        for zh, en in texts.values():
            assert cjk.search(zh), zh
            assert en and not cjk.search(en.replace("规范条件", "").replace("报废汽车回收证明", "")), en
    for name_zh, zh, en in EVENT_TEXT.values():
        assert cjk.search(name_zh) and cjk.search(zh) and en


def test_every_event_type_has_its_text_and_an_example() -> None:
    assert set(EVENT_TEXT) == set(EventType) == set(EXAMPLES)


@pytest.mark.parametrize("event_type", list(EventType))
def test_the_example_is_a_valid_claim_of_its_type(event_type: EventType) -> None:
    claim = example_claim(event_type)
    parse_payload(claim["type"], claim["data"])
    parse_claim(claim, "A" * 86 + "==")  # the envelope: v, id, pack, at, actor, key


@pytest.mark.parametrize("event_type", list(EventType))
def test_the_schema_describes_every_property_in_both_languages(event_type: EventType) -> None:
    schema = event_schema(str(event_type))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:packtrace:schema:event:{event_type}"
    assert schema["additionalProperties"] is False
    objects: list[dict[str, Any]] = [schema, *(d for d in schema.get("$defs", {}).values() if "properties" in d)]
    for obj in objects:
        for prop in obj["properties"].values():
            assert prop["description"] == f"{prop['x-description-zh']} {prop['x-description-en']}"
    example = example_claim(event_type)["data"]
    assert set(schema.get("required", ())) <= set(example) <= set(schema["properties"])


def test_the_schema_keeps_the_catalogues_limits() -> None:
    produced = event_schema("produced")
    assert produced["properties"]["mass_kg"]["maximum"] == 10_000
    assert produced["properties"]["from"]["x-description-en"] == "second life only: the codes of the original packs"
    assert produced["$defs"]["ImportData"]["properties"]["customs_declaration"]["pattern"] == "^[0-9]{8}1[0-9]{9}$"
    assert event_schema("received")["required"] == ["from"]
    assert event_schema("shipped")["x-description-zh"] == "持有方把电池包交给另一企业（在途）。"


def test_an_unknown_type_has_no_schema() -> None:
    with pytest.raises(
        NotFoundError, match="unknown event type 'sold'; event types are: arrived, corrected, "
    ) as raised:
        event_schema("sold")
    assert raised.value.code == "unknown_event_type"


def test_the_doc_says_who_may_post_from_the_permission_table() -> None:
    section = DOC.read_text(encoding="utf-8").split("## `dismantled`")[1].split("\n## ")[0]
    assert (
        "- an organisation with the role `recycler`, on the 规范条件 whitelist, holding the pack (its custodian) / "
        "再生利用企业（`recycler`），列入规范条件名单，电池包持有方\n"
    ) in section
    assert "- an organisation with the role `vehicle_dismantler`, holding the pack (its custodian) / " in section
    assert "**Allowed when the pack is 允许的状态**: `retired`" in section
    assert "| `outputs[].mass_kg` | number | yes | > 0; ≤ 10,000 | 质量（kg） | its mass (kg) |" in section
