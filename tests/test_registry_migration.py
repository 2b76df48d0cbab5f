"""Issue 13 acceptance 7: a database made by the previous version (organisations and keys as rows outside
the log: tests/data/pre_registry, made by tests/data/make_pre_registry_db.py at commit 47692da) is turned
by `packtrace migrate` (or the server's first start) into one that `verify` accepts, with its registry in
the log as entries appended after its history, never rewriting it."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from typer.testing import CliRunner

from api.bootstrap import build_ledger
from api.cli import app as cli
from api.settings import Settings
from events.errors import AuthorisationError
from events.orgs import Org, Role
from ledger.format.claims import make_signed_claim
from ledger.log import Ledger
from ledger.store.db import make_engine
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from ledger.usecases.verify import PREDATES_REGISTRY, verify_database
from tests.support import PRODUCED, T0, code, public_b64

FIXTURE = Path(__file__).parent / "data" / "pre_registry"
ORIGIN = "pre-registry.test/log"
OLD_SIZE = 6  # the fixture's six pack entries; its registry was rows only


@pytest.fixture
def old(tmp_path: Path) -> Settings:
    folder = tmp_path / "old"
    shutil.copytree(FIXTURE, folder)
    return Settings(
        database_url=f"sqlite:///{folder / 'ledger.db'}",
        log_origin=ORIGIN,
        log_key_file=folder / "log.key",
        sealing_key_file=folder / "sealing.key",
    )


def entries(ledger: Ledger) -> list[dict[str, object]]:
    return [json.loads(e.body) for e in ledger.entries(0, ledger.size())]


def env(settings: Settings) -> dict[str, str]:
    return {
        "PACKTRACE_DATABASE_URL": settings.database_url,
        "PACKTRACE_LOG_ORIGIN": ORIGIN,
        "PACKTRACE_LOG_KEY_FILE": str(settings.log_key_file),
        "PACKTRACE_SEALING_KEY_FILE": str(settings.sealing_key_file),
    }


def test_acceptance7_verify_refuses_an_unmigrated_database_and_says_what_to_run(old: Settings) -> None:
    engine = make_engine(old.database_url)
    verifier = Ledger(engine, _signer(old)).signer.verifier_key
    report = verify_database(engine, verifier)
    engine.dispose()
    assert [(p.index, p.step, p.message) for p in report.problems] == [(0, 5, PREDATES_REGISTRY)]
    result = CliRunner().invoke(cli, ["verify"], env=env(old))
    assert result.exit_code == 1
    assert "run `packtrace migrate`, or start the server once" in result.output


def test_acceptance7_migrate_records_the_registry_after_the_history_and_verify_accepts_it(old: Settings) -> None:
    runner = CliRunner()
    migrated = runner.invoke(cli, ["migrate"], env=env(old))
    assert migrated.exit_code == 0, migrated.output
    assert "registry recorded in the log: 20 registry entries for 9 organisations" in migrated.output
    verified = runner.invoke(cli, ["verify"], env=env(old))
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("OK: 26 entries, 3 packs")

    ledger = build_ledger(old)
    try:
        logged = entries(ledger)
        # history untouched: the six pack entries first, then the registry, all by the migration
        assert [e.get("pack") for e in logged[:OLD_SIZE]] == [code(1), code(1), code(2), code(2), code(3), code(3)]
        registry = logged[OLD_SIZE:]
        # the organisations and keys by the migration, then the log's key named by the log
        assert [e["claim"]["by"] for e in registry] == ["migration"] * 19 + ["log"]  # type: ignore[index]
        types = [e["claim"]["type"] for e in registry]  # type: ignore[index]
        assert types[-1] == "log_key"
        assert types.count("org_registered") == 9 and types.count("key_added") == 10
        revoked = next(e["claim"]["data"] for e in registry if e["claim"]["data"].get("key_id") == "catl/1")  # type: ignore[index, union-attr]
        assert revoked["revoked_at"] is not None and revoked["platform_held"] is False
        held = next(
            e["claim"]["data"] for e in registry if e["claim"]["data"].get("key_id") == "gem-recycling/platform-1"
        )  # type: ignore[index, union-attr]
        assert held["platform_held"] is True and held["revoked_at"] is None
        # a second start records nothing twice
        assert ledger.record_registry() == 0
    finally:
        ledger.close()
        ledger.engine.dispose()


def test_acceptance7_after_the_migration_the_registry_in_the_log_decides(old: Settings) -> None:
    ledger = build_ledger(old)  # the server's first start migrates too
    try:
        size = ledger.size()
        assert size == OLD_SIZE + 20  # 19 by the migration, and the log's key
        # the key revoked before the migration stays revoked
        keys = json.loads((FIXTURE / "org-keys.json").read_text())
        catl = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(keys["catl/1"]))
        claim, sig = make_signed_claim(catl, pack=code(9), type="produced", actor="catl", key="catl/1",
                                       data=PRODUCED, at=T0)  # fmt: skip
        with pytest.raises(AuthorisationError, match="key 'catl/1' is revoked"):
            ledger.append_one(claim, sig, as_org="catl")
        # a key the migration recorded signs as before
        byd = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(keys["byd-auto/1"]))
        claim, sig = make_signed_claim(byd, pack=code(1), type="received", actor="byd-auto", key="byd-auto/1",
                                       data={"from": "catl"}, at=T0 + timedelta(days=2))  # fmt: skip
        assert ledger.append_one(claim, sig, as_org="byd-auto").index == size
        size += 1
        gem_key = Ed25519PrivateKey.generate()
        # a new organisation, a key, a whitelist change: entries after the migrated ones, and verify passes
        orgkeys.create_org(ledger, ADMIN, org_id="new-recycler", name="新回收", roles=[Role.RECYCLER])
        orgkeys.add_key(ledger, ADMIN, "new-recycler", key_id="new-recycler/1", public_key=public_b64(gem_key))
        delisted = date(2026, 1, 2)
        orgkeys.update_org(ledger, ADMIN, "gem-recycling", whitelisted=False, effective=delisted,
                           reference="工信部公告2026年第1号")  # fmt: skip
        assert ledger.size() == size + 3
        report = verify_database(ledger.engine, ledger.signer.verifier_key)
        assert report.ok, report.problems
        assert ledger.org("gem-recycling") == Org(
            "gem-recycling", "格林美", frozenset({Role.RECYCLER}), whitelisted=False
        )
    finally:
        ledger.close()
        ledger.engine.dispose()


def test_acceptance7_a_migration_entry_edited_after_the_fact_is_found(old: Settings) -> None:
    ledger = build_ledger(old)
    ledger.close()
    with ledger.engine.begin() as conn:  # the actor column of a migrated entry no longer says so
        conn.execute(text("UPDATE entry SET actor = 'catl' WHERE idx = :i"), {"i": OLD_SIZE})
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    ledger.engine.dispose()
    assert (OLD_SIZE, 5, f"entry {OLD_SIZE} says the migration recorded it, but it was not stored as such") in [
        (p.index, p.step, p.message) for p in report.problems
    ]


def _signer(settings: Settings):  # type: ignore[no-untyped-def]
    from ledger.format.logkey import LogSigner, load_key

    return LogSigner(ORIGIN, load_key(settings.log_key_file))
