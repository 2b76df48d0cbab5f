"""handover bundles: the origin platform's bundle of each pack handed over to this one

`handover_bundle` holds, per pack code, the bundle the origin platform handed over with it, verified at
arrival and bound to the log by the `arrived` entry's `bundle_sha256` (docs/federation.md). Created only if
missing: a server of this version creates it when it starts.

Revision ID: a7c3e9d1f2b4
Revises: f1a2b3c4d5e6
Create Date: 2026-12-05 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "a7c3e9d1f2b4"
down_revision = "f1a2b3c4d5e6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "handover_bundle" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "handover_bundle",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("bundle_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )


def downgrade() -> None:
    op.drop_table("handover_bundle")
