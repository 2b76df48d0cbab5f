"""Build the ledger from settings: the one place where engines and keys are made."""

from __future__ import annotations

from api.settings import Settings
from ledger.db import make_engine
from ledger.log import Ledger
from ledger.logkey import LogSigner, load_or_create_key


def build_ledger(settings: Settings, *, init: bool = True) -> Ledger:
    engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous.upper())
    signer = LogSigner(settings.log_origin, load_or_create_key(settings.log_key_file))
    ledger = Ledger(engine, signer)
    if init:
        ledger.init()
    return ledger
