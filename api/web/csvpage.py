"""The pages' CSV downloads, for people: the header in the page's language (Chinese column names; in English
the field names, as the API's CSVs have them), numbers without float noise (1798.5679999999993 → 1798.57: six
significant digits), and in Chinese yes/no, statuses, events and rules by name. The API's CSVs
(ledger.usecases.reports.csvtext) stay exact."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from api.web.i18n import Words
from api.web.i18n_ui import CSV_HEADERS_ZH
from ledger.usecases.reports.csvtext import cell

SIGNIFICANT = 6


def number(value: float) -> str:
    """A float for a spreadsheet: six significant digits, no float noise."""
    return f"{value:.{SIGNIFICANT}g}"


def _cell(name: str, value: Any, t: Words) -> str:
    if isinstance(value, float):
        return number(value)
    if t.lang == "zh":
        if isinstance(value, bool):
            return t("csv_yes") if value else t("csv_no")
        if isinstance(value, str):
            if name == "status":
                return t.status(value)
            if name == "type":
                return t.event(value)
            if name == "rule":
                return t.rule(value)
            if name == "element":
                return t.value(value)
    return cell(value)


def page_csv(model: type[BaseModel], rows: Sequence[BaseModel], t: Words) -> str:
    """Rows of `model` as CSV for a person reading the page in `t`'s language (UTF-8 with a byte-order mark)."""
    fields = list(model.model_fields)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([CSV_HEADERS_ZH.get(name, name) for name in fields] if t.lang == "zh" else fields)
    for row in rows:
        writer.writerow([_cell(name, getattr(row, name), t) for name in fields])
    return out.getvalue()
