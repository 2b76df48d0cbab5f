"""witness cosignatures: the lines gathered per checkpoint, each witness's cosigned size, the published one

The log submits its checkpoints to the witnesses PACKTRACE_WITNESSES names and keeps what they return
(docs/ledger-format.md §4.3): `witness_cosignature` holds the verified lines per (checkpoint size,
witness), `witness_head` the size each witness last cosigned (the `old` line of the next submission) and
`published_checkpoint` the checkpoint of the last gathering round, which `GET /v1/log/checkpoint` serves.

A server of this version creates missing tables when it starts (`Ledger.init`), so each table is skipped
when it exists already.

Revision ID: 8c5d3f1a2b70
Revises: 7a4c1e9b2d60
Create Date: 2026-12-04 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "8c5d3f1a2b70"
down_revision = "7a4c1e9b2d60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    if "witness_cosignature" not in tables:
        op.create_table(
            "witness_cosignature",
            sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("witness", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
            sa.Column("lines", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
            sa.Column("cosigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.PrimaryKeyConstraint("size", "witness"),
        )
    if "witness_head" not in tables:
        op.create_table(
            "witness_head",
            sa.Column("witness", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
            sa.Column("size", sa.BigInteger(), nullable=False),
            sa.Column("cosigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.PrimaryKeyConstraint("witness"),
        )
    if "published_checkpoint" not in tables:
        op.create_table(
            "published_checkpoint",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("size", sa.BigInteger(), nullable=False),
            sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )


def downgrade() -> None:
    op.drop_table("published_checkpoint")
    op.drop_table("witness_head")
    op.drop_table("witness_cosignature")
