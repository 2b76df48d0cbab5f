"""Any report's rows as CSV, for spreadsheet programs."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel


def csv_text(model: type[BaseModel], rows: Sequence[BaseModel]) -> str:
    """Rows of `model` as CSV with a header line of its field names, UTF-8 with a byte-order mark so
    spreadsheet programs read the Chinese names right. Lists and mappings are written `a;b`, `k=v;…`."""
    fields = list(model.model_fields)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in fields])
    return out.getvalue()


def cell(value: Any) -> str:
    """One value as a CSV cell (the pages' CSVs write theirs so too)."""
    return _cell(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ";".join(f"{key}={value[key]}" for key in value)
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value  # text a spreadsheet would run as a formula (names come from outside)
    return str(value)


_FORMULA_STARTS = frozenset("=+-@\t\r")
