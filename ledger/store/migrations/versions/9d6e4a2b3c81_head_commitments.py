"""head commitments: the trees of the latest commitments to every chain's head

`head_leaf` says where each chain's head sits in a commitment's tree and `head_node` holds the tree's
complete-subtree hashes, so that a bundle proves its pack's head with a few rows (ledger.store.heads).
Only the latest commitments keep theirs; the commitments themselves are entries of the log. Each table is
created only if missing: a server of this version creates them when it starts.

Revision ID: 9d6e4a2b3c81
Revises: 8c5d3f1a2b70
Create Date: 2026-12-04 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "9d6e4a2b3c81"
down_revision = "8c5d3f1a2b70"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A server of this version creates missing tables when it starts (ledger.store.db.create_schema), so a
    # database it has started on has them already.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "head_leaf" not in existing:
        _head_leaf()
    if "head_node" not in existing:
        _head_node()


def _head_leaf() -> None:
    op.create_table(
        "head_leaf",
        sa.Column("commitment", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("commitment", "subject"),
    )


def _head_node() -> None:
    op.create_table(
        "head_node",
        sa.Column("commitment", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("commitment", "id"),
    )


def downgrade() -> None:
    op.drop_table("head_node")
    op.drop_table("head_leaf")
