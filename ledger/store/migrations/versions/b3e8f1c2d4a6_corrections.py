"""corrections count: the `correction` projection of the corrected entries' values

`correction` holds, per `corrected` entry that changes its target, the target's values after it
(events.corrections, ledger.store.correctionrows). It is filled from the log's `corrected` entries, and the
report tables start over so that they count the corrected values (ledger.usecases.corrections.rebuild).
The table is created only if missing: a server of this version creates and fills it when it starts.

Revision ID: b3e8f1c2d4a6
Revises: a7c1d2e3f4b5
Create Date: 2026-12-05 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.usecases import corrections

revision = "b3e8f1c2d4a6"
down_revision = "a7c1d2e3f4b5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "correction" in set(sa.inspect(bind).get_table_names()):
        return
    op.create_table(
        "correction",
        sa.Column("idx", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("pack", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("idx"),
    )
    op.create_index("ix_correction_pack", "correction", ["pack", "current"])
    op.create_index("ix_correction_target", "correction", ["target"])
    corrections.rebuild(bind)


def downgrade() -> None:
    op.drop_index("ix_correction_target", table_name="correction")
    op.drop_index("ix_correction_pack", table_name="correction")
    op.drop_table("correction")
