"""the registry in the log: organisations gain a region and a whitelist history; entries hold subjects

Registry entries (events/registry.py) share the `entry` table with pack entries: its `pack` column holds
their subject (`org:<id>`, up to 67 characters), so it widens from 32 to 80. `org` becomes a projection
of the registry entries and gains `region` and `whitelist` (the 规范条件 changes with their effective
dates). The registry rows themselves become entries when a server of this version first starts
(ledger.usecases.registrylog.import_registry); that needs the log's key, so it is not done here.

A server of this version adds the columns to a database it starts on
(`ledger.store.registry.add_missing_columns`), so each step is skipped when its column exists already.

Revision ID: 7a4c1e9b2d60
Revises: d2f25e5c96b9
Create Date: 2026-12-04 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "7a4c1e9b2d60"
down_revision = "d2f25e5c96b9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    columns = {c["name"] for c in sa.inspect(bind).get_columns("org")}
    if "region" not in columns:
        op.add_column("org", sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True))
    if "whitelist" not in columns:
        op.add_column("org", sa.Column("whitelist", sa.JSON(), nullable=False, server_default="[]"))
        with op.batch_alter_table("org") as batch:
            batch.alter_column("whitelist", server_default=None)
    with op.batch_alter_table("entry") as batch:  # SQLite: the table is copied (it enforces no length)
        batch.alter_column("pack", type_=sqlmodel.sql.sqltypes.AutoString(length=80))


def downgrade() -> None:
    with op.batch_alter_table("entry") as batch:
        batch.alter_column("pack", type_=sqlmodel.sql.sqltypes.AutoString(length=32))
    with op.batch_alter_table("org") as batch:
        batch.drop_column("whitelist")
        batch.drop_column("region")
