"""Rows of a CSV or JSONL file → signed claims, for `packtrace submit`.

A row is one event: `pack`, `type`, `at` (RFC 3339 UTC, whole seconds, `Z`), `data` (a JSON object) and
optionally `prev` and `id`. In CSV, `data` is a column holding JSON text. Without an `id`, the claim id is
a UUID5 of the actor, the file's name and the row number, so posting the same file again is an
idempotent retry and an interrupted run can simply be started again.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.client import Signer
from events.timestamps import from_rfc3339

ROW_FIELDS = frozenset({"pack", "type", "at", "data", "prev", "id"})
REQUIRED = ("pack", "type", "at", "data")
CLAIM_ID_NAMESPACE = uuid.UUID("5b0f8a3e-6c1d-4f2a-9e77-2d1c0a9b8e45")

ROW_FORMAT_HELP = """\
FILE is CSV (with a header row) or JSONL (one JSON object a line), one event a row, with the fields
pack, type, at, data and optionally prev and id. `at` is RFC 3339 UTC with whole seconds and Z
(2026-11-20T08:30:00Z); `data` is the event's payload as a JSON object (in CSV: JSON text in the
column). Claim ids are derived from the actor, the file name and the row number unless an `id` is
given, so running the same file again re-posts nothing twice and resumes an interrupted run.
"""


class RowError(ValueError):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(f"row {row}: {message}")
        self.row = row


@dataclass(frozen=True)
class Row:
    number: int  # 1-based: the line of a JSONL file, the data row of a CSV file
    pack: str
    type: str
    at: str
    data: dict[str, Any]
    prev: str | None = None
    id: str | None = None


def _raw_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for number, record in enumerate(csv.DictReader(handle), start=1):
                fields = {k: v for k, v in record.items() if k is not None and v not in (None, "")}
                if "data" in fields:
                    try:
                        fields["data"] = json.loads(fields["data"])
                    except json.JSONDecodeError as exc:
                        raise RowError(number, f"data is not JSON: {exc.msg}") from None
                yield number, fields
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RowError(number, f"not a JSON object: {exc.msg}") from None
            if not isinstance(record, dict):
                raise RowError(number, "not a JSON object")
            yield number, record


def _row(number: int, fields: dict[str, Any]) -> Row:
    unknown = sorted(set(fields) - ROW_FIELDS)
    if unknown:
        raise RowError(number, f"unknown fields: {', '.join(unknown)}")
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        raise RowError(number, f"missing fields: {', '.join(missing)}")
    if not isinstance(fields["data"], dict):
        raise RowError(number, "data must be a JSON object")
    for name in ("pack", "type", "at", "prev", "id"):
        if name in fields and not isinstance(fields[name], str):
            raise RowError(number, f"{name} must be text")
    try:
        from_rfc3339(fields["at"])
    except ValueError:
        raise RowError(number, f"at must be RFC 3339 UTC with whole seconds and Z, found {fields['at']!r}") from None
    return Row(
        number,
        fields["pack"],
        fields["type"],
        fields["at"],
        fields["data"],
        fields.get("prev"),
        fields.get("id"),
    )


def read_rows(path: Path) -> list[Row]:
    """Every row of the file, checked; RowError names the first bad row."""
    return [_row(number, fields) for number, fields in _raw_rows(path)]


def claim_id(actor: str, source: str, row: int) -> str:
    return str(uuid.uuid5(CLAIM_ID_NAMESPACE, f"{actor}\n{source}\n{row}"))


def signed_events(rows: list[Row], signer: Signer, *, source: str) -> list[dict[str, Any]]:
    """The POST bodies of the rows, with deterministic claim ids (see the module docstring)."""
    return [
        signer.sign(
            row.pack,
            row.type,
            row.data,
            at=from_rfc3339(row.at),
            claim_id=row.id or claim_id(signer.actor, source, row.number),
            prev=row.prev,
        )
        for row in rows
    ]
