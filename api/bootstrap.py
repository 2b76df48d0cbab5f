"""Build the ledger from settings: the one place where engines and keys are made."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from api.settings import Settings
from ledger.db import make_engine
from ledger.log import Ledger
from ledger.logkey import LogSigner, load_or_create_key


def stored_origin(engine: Engine) -> str | None:
    """The origin of the log this database already holds, if any."""
    if "log_head" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        found = conn.execute(text("SELECT origin FROM log_head WHERE id = 1")).scalar_one_or_none()
    return None if found is None else str(found)


def build_ledger(settings: Settings, *, init: bool = True) -> Ledger:
    """The ledger of the configured database. A log keeps the origin it was started with: unless
    PACKTRACE_LOG_ORIGIN is set explicitly (and then must match), an existing database's origin is used,
    so serving it under another public URL, or administering it from the CLI, does not rename the log."""
    engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous.upper())
    origin = settings.log_origin
    if not settings.origin_is_explicit:
        origin = stored_origin(engine) or origin
    signer = LogSigner(origin, load_or_create_key(settings.log_key_file))
    ledger = Ledger(engine, signer)
    if init:
        ledger.init()
    return ledger
