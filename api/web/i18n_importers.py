"""The importers' words (an imported pack on the regulator's pack page): Simplified Chinese, English."""

from __future__ import annotations

MESSAGES_IMPORTERS: dict[str, tuple[str, str]] = {
    "foreign_manufacturer": ("境外生产企业", "Foreign manufacturer"),
    "import_date": ("进口日期", "Import date"),
    "customs_declaration": ("报关单号", "Customs declaration number"),
}
