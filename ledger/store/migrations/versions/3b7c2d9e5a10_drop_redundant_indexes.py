"""drop two indexes that other indexes already serve

`ix_entry_actor` is the prefix of `uq_entry_actor_claim`, and `ix_pack_manufacturer` the prefix of
`ix_pack_manufacturer_date`; each cost a B-tree insert on every append.

Revision ID: 3b7c2d9e5a10
Revises: e1000fac4028
Create Date: 2026-11-23 08:10:00
"""

from __future__ import annotations

from alembic import op

revision = "3b7c2d9e5a10"
down_revision = "e1000fac4028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_entry_actor", table_name="entry")
    op.drop_index("ix_pack_manufacturer", table_name="pack")


def downgrade() -> None:
    op.create_index("ix_pack_manufacturer", "pack", ["manufacturer"], unique=False)
    op.create_index("ix_entry_actor", "entry", ["actor"], unique=False)
