"""Reading one member of stored JSON in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy
from sqlalchemy import ColumnElement, Connection, func
from sqlalchemy.dialects.postgresql import JSON as PG_JSON


def entry_json_text(conn: Connection, body: Any, *path: str) -> ColumnElement[Any]:
    """The text at `path` of an entry's stored JSON bytes (`body`: an `entry.body` column), in SQL."""
    if conn.dialect.name == "postgresql":
        # json, not jsonb: reading one path from json text costs less than building a jsonb (measured)
        text: ColumnElement[Any] = sqlalchemy.cast(func.convert_from(body, "UTF8"), PG_JSON)[path].astext
        return text
    return func.json_extract(sqlalchemy.cast(body, sqlalchemy.Text), "$." + ".".join(path))
