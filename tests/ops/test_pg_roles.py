"""docs/operations.md §2 on a real PostgreSQL: the auditor's read-only role (CONNECT, USAGE, SELECT and
nothing else) runs `packtrace verify` over the log the owner's server wrote, with a copy of the log key
file or with the verifier key alone; the role cannot write."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner

from api.bootstrap import build_ledger
from api.cli import app as cli
from ledger.store.db import normalise_url
from tests.conftest import fresh_postgres_schema
from tests.ops.served import deployment_settings
from tests.support import PRODUCED, code, province

PG_URL = os.environ.get("PACKTRACE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema_url() -> Iterator[str]:
    with fresh_postgres_schema(PG_URL, "ops") as url:
        yield url


@pytest.fixture
def auditor(schema_url: str) -> Iterator[str]:
    """A role with USAGE on the log's schema (SELECT is granted once the tables exist); its URL."""
    role = f"packtrace_audit_{uuid.uuid4().hex[:8]}"
    schema = re.search(r"search_path%3D(\w+)", schema_url)
    assert schema is not None
    owner = create_engine(normalise_url(PG_URL))
    with owner.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {schema.group(1)} TO {role}"))
    yield make_url(schema_url).set(username=role).render_as_string(hide_password=False)
    with owner.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {role}"))
        conn.execute(text(f"DROP ROLE {role}"))
    owner.dispose()


def test_the_read_only_role_verifies_the_log(schema_url: str, auditor: str, tmp_path: Path) -> None:
    settings = deployment_settings(schema_url, tmp_path)
    ledger = build_ledger(settings)  # the owner's server: makes the tables, then the auditor gets SELECT
    maker = province(ledger)["catl"]
    ledger.append([maker.claim(code(n), "produced", PRODUCED) for n in range(1, 4)])
    size, verifier_key = ledger.size(), ledger.signer.verifier_key
    ledger.close()
    ledger.engine.dispose()
    owner = create_engine(normalise_url(PG_URL))
    schema = re.search(r"search_path%3D(\w+)", schema_url)
    assert schema is not None
    role = make_url(auditor).username
    with owner.begin() as conn:
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema.group(1)} TO {role}"))
    owner.dispose()

    env = {"PACKTRACE_LOG_KEY_FILE": str(settings.log_key_file), "PACKTRACE_PUBLIC_URL": settings.public_url}
    with_file = CliRunner(env=env).invoke(cli, ["verify", "--database-url", auditor])
    assert with_file.exit_code == 0, with_file.stderr
    assert with_file.stdout.startswith(f"OK: {size} entries, 3 packs, ")
    no_file = CliRunner(env=env | {"PACKTRACE_LOG_KEY_FILE": str(tmp_path / "absent.key")}).invoke(
        cli, ["verify", "--database-url", auditor, "--log-key", verifier_key]
    )
    assert no_file.exit_code == 0, no_file.stderr
    assert no_file.stdout.startswith(f"OK: {size} entries, 3 packs, ")

    reader = create_engine(normalise_url(auditor))
    with pytest.raises(ProgrammingError, match="permission denied for table log_head"), reader.begin() as conn:
        conn.execute(text("UPDATE log_head SET size = size"))
    reader.dispose()
