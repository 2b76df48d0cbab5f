"""report_day per organisation: the per-day counts gain `actor`, so the overview's figures can be given for a
region (ledger.usecases.places). The report tables are derived from the log: they are emptied, and the next
report counts them again.

Revision ID: c4f9a2d3e5b7
Revises: b3e8f1c2d4a6
Create Date: 2026-12-05 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "c4f9a2d3e5b7"
down_revision = "b3e8f1c2d4a6"
branch_labels = None
depends_on = None

DERIVED = ("report_late", "report_recovery", "report_actor", "report_cursor")


def _day_table(*key: str) -> None:
    columns = [
        sa.Column("basis", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
    ]
    if "actor" in key:
        columns.append(sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False))
    columns += [
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("late", sa.BigInteger(), nullable=False),
    ]
    op.create_table("report_day", *columns, sa.PrimaryKeyConstraint(*key))


def _start_over(*key: str) -> None:
    op.drop_table("report_day")
    _day_table(*key)
    for table in DERIVED:
        op.execute(sa.text(f"DELETE FROM {table}"))


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("report_day")}
    if "actor" not in columns:
        _start_over("basis", "day", "actor")


def downgrade() -> None:
    _start_over("basis", "day")
