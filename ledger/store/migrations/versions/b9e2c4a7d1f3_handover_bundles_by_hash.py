"""handover bundles kept by code and hash: a refused or retried arrival never replaces the bundle the log names

`handover_bundle` was keyed by pack code, and an arrival wrote its bundle (replacing the code's row) before
its entry was appended: an arrival then refused (a retry after the pack had arrived, a bad signature)
replaced the bundle the earlier `arrived` entry names by hash, and the origin's part could never be
verified again. Now the key is (code, bundle_sha256): rows are only added, and a reader takes the row whose
hash the arrival names. Rows are copied as they are.

Revision ID: b9e2c4a7d1f3
Revises: a7c3e9d1f2b4
Create Date: 2026-12-05 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "b9e2c4a7d1f3"
down_revision = "a7c3e9d1f2b4"
branch_labels = None
depends_on = None


def _table(name: str, key: list[str], key_name: str) -> None:
    op.create_table(
        name,
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("bundle_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=key_name),  # PostgreSQL: unique among the schema's relations
    )


def _rebuild(key: list[str], key_name: str) -> None:
    _table("handover_bundle_new", key, key_name)
    op.execute(
        "INSERT INTO handover_bundle_new (code, platform, bundle_sha256, body) "
        "SELECT code, platform, bundle_sha256, body FROM handover_bundle"
    )
    op.drop_table("handover_bundle")
    op.rename_table("handover_bundle_new", "handover_bundle")


def upgrade() -> None:
    _rebuild(["code", "bundle_sha256"], "pk_handover_bundle_by_hash")


def downgrade() -> None:
    # one row a code again: the row of the greatest hash is kept (a migration cannot tell which one the log
    # names; a server of the earlier version then shows the others' packs' origin parts as not stored)
    op.execute(
        "DELETE FROM handover_bundle WHERE EXISTS (SELECT 1 FROM handover_bundle AS other "
        "WHERE other.code = handover_bundle.code AND other.bundle_sha256 > handover_bundle.bundle_sha256)"
    )
    _rebuild(["code"], "pk_handover_bundle_by_code")
