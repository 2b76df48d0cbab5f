"""Build the ledger from settings: the one place where engines and keys are made."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from api.settings import Settings
from ledger.append.head import utcnow
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store import logmeta
from ledger.store.db import Engine, make_engine
from ledger.usecases import keybinding, logrotation


class BoundLedger(Ledger):
    """A ledger built from settings, with the sealing secret its start checked against the log's recorded
    one (and bound to it): use `sealing_key`, never the file again, which may have changed since."""

    def __init__(
        self, engine: Engine, signer: LogSigner, *, sealing_key: bytes, clock: Callable[[], datetime] = utcnow
    ) -> None:
        super().__init__(engine, signer, clock=clock)
        self.sealing_key = sealing_key


def key_files(settings: Settings, engine: Engine) -> keybinding.KeyFiles:
    return keybinding.KeyFiles(
        settings.log_key_file, settings.sealing_key_file, engine.url.render_as_string(hide_password=True)
    )


def build_ledger(settings: Settings, *, init: bool = True, clock: Callable[[], datetime] = utcnow) -> BoundLedger:
    """The ledger of the configured database. A log keeps the origin it was started with: unless
    PACKTRACE_LOG_ORIGIN is set explicitly (and then must match), an existing database's origin is used,
    so serving it under another public URL, or administering it from the CLI, does not rename the log.

    It also keeps its keys (ledger/usecases/keybinding.py): key files are created only for a log that cannot depend
    on them yet, and keys other than the recorded ones raise `KeyBindingError` before anything is served.
    A log in the middle of a key rollover, or after one, signs with the keys its own entries put in force
    (the file's, and the rollover's new key beside it in `<file>.next`). `clock`: when its entries are
    recorded (the demo starts a new log before the story it then records).
    The sealing secret so checked is the ledger's `sealing_key`: the one to seal and open platform-held keys
    with (loading the file again could make a new, unchecked secret if it had gone in between)."""
    engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous.upper())
    try:
        origin = settings.log_origin
        if not settings.origin_is_explicit:
            stored = logmeta.stored_origin(engine)
            if stored is None:  # a new log is named after the public URL for good: not after a default
                settings.require_public_url()
            origin = stored or origin
        files = key_files(settings, engine)
        found = logmeta.recorded(engine)
        signer = keybinding.log_signer(origin, keybinding.open_log_key(settings.log_key_file, found, files), files)
        keybinding.check_log_key(found, signer, files)
        secret = keybinding.open_sealing_key(settings.sealing_key_file, found, files)
        keybinding.check_sealing_key(found, secret, files)
    except BaseException:
        engine.dispose()
        raise
    ledger = BoundLedger(engine, signer, sealing_key=secret, clock=clock)
    if init:
        try:
            ledger.init()
            logmeta.add_missing_columns(engine)
            keybinding.bind(engine, signer, secret, files)
            ledger.record_registry()  # after bind: only the log's own key signs the migrated registry
            logrotation.name_key(ledger)  # the log's key is part of its registry: its first `log_key` entry
        except BaseException:
            ledger.close()
            engine.dispose()
            raise
    return ledger
