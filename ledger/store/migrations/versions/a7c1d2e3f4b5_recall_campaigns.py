"""recall campaigns: each campaign's definition and the packs in its scope

`recall_campaign` holds a campaign's id, reason, scope, due date, creator and the packs left out of it;
`recall_pack` the packs in its scope (ledger.store.recallrows). Which packs were recalled, and whether
they were remedied, is read from the log. Each table is created only if missing: a server of this version
creates them when it starts.

Revision ID: a7c1d2e3f4b5
Revises: 9d6e4a2b3c81
Create Date: 2026-12-04 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "a7c1d2e3f4b5"
down_revision = "9d6e4a2b3c81"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "recall_campaign" not in existing:
        op.create_table(
            "recall_campaign",
            sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
            sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
            sa.Column("scope", sa.JSON(), nullable=False),
            sa.Column("due", sa.Date(), nullable=True),
            sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
            sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.Column("excluded", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
    if "recall_pack" not in existing:
        op.create_table(
            "recall_pack",
            sa.Column("campaign", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
            sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
            sa.PrimaryKeyConstraint("campaign", "code"),
        )


def downgrade() -> None:
    op.drop_table("recall_pack")
    op.drop_table("recall_campaign")
