"""component links: modules in packs and cells in modules or packs, as time-bounded links

`component_link` holds, per module or cell, the span from the entry that put it in its parent to the one
that took it out (events.components, ledger.store.linkrows). It is filled from the log's `produced`,
`serviced` and `dismantled` entries (ledger.usecases.components.rebuild). The table is created only if
missing: a server of this version creates and fills it when it starts.

Revision ID: f1a2b3c4d5e6
Revises: c4f9a2d3e5b7
Create Date: 2026-12-05 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.usecases import components

revision = "f1a2b3c4d5e6"
down_revision = "c4f9a2d3e5b7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "component_link" in set(sa.inspect(bind).get_table_names()):
        return
    op.create_table(
        "component_link",
        sa.Column("child", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("start_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("parent", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("start_at", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("end_idx", sa.BigInteger(), nullable=True),
        sa.Column("end_at", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.PrimaryKeyConstraint("child", "start_idx"),
    )
    op.create_index("ix_component_link_parent", "component_link", ["parent"])
    components.rebuild(bind)


def downgrade() -> None:
    op.drop_index("ix_component_link_parent", table_name="component_link")
    op.drop_table("component_link")
