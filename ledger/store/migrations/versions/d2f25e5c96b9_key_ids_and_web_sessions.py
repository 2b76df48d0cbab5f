"""record the log's key ids; web sessions of their own

`log_head` gains the verifier key of the log's signing key and the fingerprint of the secret that seals
platform-held keys (ledger/usecases/keybinding.py): a server started with other key files refuses to start rather
than sign with a new key. `web_session` holds the web pages' logins, hashed, each bound to the hash of
the API token it was opened with.

A server of this version adds both to a database it starts on (`Ledger.init` creates the table,
`logmeta.add_missing_columns` the columns), so each step is skipped when its object exists already.

Revision ID: d2f25e5c96b9
Revises: 5d1e8c2f7a31
Create Date: 2026-11-24 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "d2f25e5c96b9"
down_revision = "5d1e8c2f7a31"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    columns = {c["name"] for c in inspector.get_columns("log_head")}
    if "log_verifier_key" not in columns:
        op.add_column("log_head", sa.Column("log_verifier_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    if "sealing_key_id" not in columns:
        op.add_column(
            "log_head", sa.Column("sealing_key_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    if "web_session" not in inspector.get_table_names():
        op.create_table(
            "web_session",
            sa.Column("secret_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
            sa.Column("org", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
            sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
            sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.PrimaryKeyConstraint("secret_hash"),
        )
        op.create_index(op.f("ix_web_session_org"), "web_session", ["org"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_web_session_org"), table_name="web_session")
    op.drop_table("web_session")
    with op.batch_alter_table("log_head") as batch:
        batch.drop_column("sealing_key_id")
        batch.drop_column("log_verifier_key")
