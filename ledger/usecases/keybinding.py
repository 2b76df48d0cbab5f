"""The keys a log is bound to: its checkpoint-signing key and the secret that seals platform-held keys.

Both live in files beside the server (PACKTRACE_LOG_KEY_FILE, PACKTRACE_SEALING_KEY_FILE), not in the
database. A server started on the database from another directory, or after losing its key volume, used
to make new ones without a word: the next checkpoint was then signed by a key no verifier knew, and every
platform-held key stopped opening. So `log_head` records the log key's verifier key (C2SP, public) and the
sealing secret's fingerprint (`sealing_key_id`, an HMAC of the secret, never the secret), and:

  (1) a key file is created only for a log that cannot depend on it yet: the log key for an empty log
      with no key recorded, the sealing secret for a log with no sealed key and none recorded;
  (2) keys that differ from the recorded ones are refused (`KeyBindingError`, naming both ids and the
      files looked at): the server and the CLI do not start;
  (3) a database made before the ids were recorded records the current keys on its first start if they
      are the ones it already depends on: the log key must verify the latest checkpoint, the sealing
      secret must open a sealed key (an empty log, or one without sealed keys, records them as they are).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, inspect, select, text, update

from events.errors import VerificationError
from ledger.format import note
from ledger.format.logkey import LogSigner, load_or_create_key
from ledger.store.db import write_connection
from ledger.store.schema import Checkpoint, LogHead, OrgKey
from ledger.usecases import custodial

HEAD = LogHead.__table__  # type: ignore[attr-defined]
KEY = OrgKey.__table__  # type: ignore[attr-defined]
CHECKPOINT = Checkpoint.__table__  # type: ignore[attr-defined]
BOUND_COLUMNS = ("log_verifier_key", "sealing_key_id")
_SEALING_ID_INFO = b"packtrace sealing secret id v1"


class KeyBindingError(RuntimeError):
    """The key files are not the ones this log is bound to: a configuration fault; nothing may start."""


def sealing_key_id(secret: bytes) -> str:
    """A public fingerprint of the sealing secret: HMAC-SHA256(secret, a fixed label), 16 hex digits."""
    return hmac.new(secret, _SEALING_ID_INFO, hashlib.sha256).hexdigest()[:16]


def key_id(verifier_key: str) -> str:
    """`<name>+<key hash>`: the C2SP key id of a verifier key, as the log's notes name their signer."""
    return "+".join(verifier_key.split("+", 2)[:2])


def _public_part(verifier_key: str) -> str:
    return verifier_key.split("+", 2)[-1]


@dataclass(frozen=True)
class KeyFiles:
    """Where the keys were looked for, and which database: named in every refusal."""

    log_key: Path
    sealing_key: Path
    database: str

    def looked_at(self) -> str:
        return (
            f"files looked at: log key {self.log_key.resolve()}, sealing secret {self.sealing_key.resolve()}; "
            f"database {self.database}"
        )


@dataclass(frozen=True)
class Recorded:
    """What the database says before anything is opened (all empty for a database without tables)."""

    size: int = 0
    log_verifier_key: str | None = None
    sealing_key_id: str | None = None
    sealed_keys: int = 0


def recorded(engine: Engine) -> Recorded:
    """Read the log's size, recorded key ids and number of sealed keys; tolerant of older schemas."""
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    if "log_head" not in tables:
        return Recorded()
    present = {c["name"] for c in inspector.get_columns("log_head")}
    columns = [HEAD.c.size, *(HEAD.c[name] for name in BOUND_COLUMNS if name in present)]
    with engine.connect() as conn:
        row = conn.execute(select(*columns).where(HEAD.c.id == 1)).first()
        sealed = _sealed_count(conn) if "org_key" in tables else 0
    if row is None:
        return Recorded(sealed_keys=sealed)
    found = row._mapping
    return Recorded(int(found["size"]), found.get("log_verifier_key"), found.get("sealing_key_id"), sealed)


def _sealed_count(conn: Connection) -> int:
    """How many sealed keys there are, counting to one: whether any is all that matters."""
    rows = conn.execute(select(KEY.c.key_id).where(KEY.c.sealed_private_key.is_not(None)).limit(1))
    return len(rows.all())


def add_missing_columns(engine: Engine) -> None:
    """Give `log_head` of a database made before key ids were recorded its two columns (nullable)."""
    present = {c["name"] for c in inspect(engine).get_columns("log_head")}
    missing = [name for name in BOUND_COLUMNS if name not in present]
    if missing:
        with engine.begin() as conn:
            for name in missing:
                kind = HEAD.c[name].type.compile(dialect=engine.dialect)  # as create_all would declare it
                conn.execute(text(f"ALTER TABLE log_head ADD COLUMN {name} {kind}"))


# -- opening the key files ------------------------------------------------------------------------------

REFUSAL = "refusing to open this log: "


def open_log_key(path: Path, found: Recorded, files: KeyFiles) -> Ed25519PrivateKey:
    """The log key in `path`; created there only for an empty log with no key recorded (1)."""
    if path.exists() or (found.size == 0 and found.log_verifier_key is None):
        return load_or_create_key(path)
    if found.log_verifier_key is not None:
        bound = f"the log is bound to the log key {key_id(found.log_verifier_key)} (recorded in the database)"
    else:
        bound = "its checkpoints are signed by a key that was not recorded (the database predates key ids)"
    raise KeyBindingError(
        f"{REFUSAL}no log key at {path.resolve()}, and {bound}; it holds {_entries(found.size)}. A new key "
        "would make every later checkpoint fail verification: restore the key file, or set "
        f"PACKTRACE_LOG_KEY_FILE to where it is ({files.looked_at()})"
    )


def _entries(count: int) -> str:
    return "1 entry" if count == 1 else f"{count} entries"


def open_sealing_key(path: Path, found: Recorded, files: KeyFiles) -> bytes:
    """The sealing secret in `path`; created there only for a log with no sealed key and none recorded (1)."""
    if path.exists() or (found.sealed_keys == 0 and found.sealing_key_id is None):
        return custodial.load_or_create_sealing_key(path)
    if found.sealing_key_id is not None:
        bound = f"the log is bound to the sealing secret {found.sealing_key_id} (recorded in the database)"
    else:
        bound = "the log holds platform-held keys sealed with a secret that was not recorded"
    raise KeyBindingError(
        f"{REFUSAL}no sealing secret at {path.resolve()}, and {bound}. A new secret would open none of the "
        "platform-held keys: restore the file, or set PACKTRACE_SEALING_KEY_FILE to where it is "
        f"({files.looked_at()})"
    )


# -- checking and recording -----------------------------------------------------------------------------


def check_log_key(found: Recorded, signer: LogSigner, files: KeyFiles) -> None:
    """(2) for the log key alone (what `packtrace verify` needs)."""
    expected, holds = found.log_verifier_key, signer.verifier_key
    if expected is not None and _public_part(expected) != _public_part(holds):  # another origin: Ledger.init
        raise KeyBindingError(
            f"{REFUSAL}it is bound to the log key {key_id(expected)} (recorded in the database), but "
            f"{files.log_key.resolve()} holds the key {key_id(holds)}. Set PACKTRACE_LOG_KEY_FILE to the log's "
            f"own key file ({files.looked_at()})"
        )


def check_sealing_key(found: Recorded, secret: bytes, files: KeyFiles) -> None:
    """(2) for the sealing secret."""
    expected, holds = found.sealing_key_id, sealing_key_id(secret)
    if expected is not None and expected != holds:
        raise KeyBindingError(
            f"{REFUSAL}it is bound to the sealing secret {expected} (recorded in the database), but "
            f"{files.sealing_key.resolve()} holds the secret {holds}. Set PACKTRACE_SEALING_KEY_FILE to the "
            f"log's own sealing secret ({files.looked_at()})"
        )


def bind(engine: Engine, signer: LogSigner, secret: bytes, files: KeyFiles) -> None:
    """Check the keys against the recorded ids, recording those not recorded yet (2, 3), under the log
    head's lock so that two servers starting at once record one pair."""
    with write_connection(engine) as conn, conn.begin():
        row = conn.execute(
            select(HEAD.c.size, HEAD.c.log_verifier_key, HEAD.c.sealing_key_id).where(HEAD.c.id == 1).with_for_update()
        ).one()
        found = Recorded(int(row.size), row.log_verifier_key, row.sealing_key_id, _sealed_count(conn))
        check_log_key(found, signer, files)
        check_sealing_key(found, secret, files)
        values: dict[str, str] = {}
        if found.log_verifier_key is None:
            _check_latest_checkpoint(conn, found, signer, files)
            values["log_verifier_key"] = signer.verifier_key
        if found.sealing_key_id is None:
            _check_opens_a_sealed_key(conn, found, secret, files)
            values["sealing_key_id"] = sealing_key_id(secret)
        if values:
            conn.execute(update(HEAD).where(HEAD.c.id == 1).values(**values))


def _check_latest_checkpoint(conn: Connection, found: Recorded, signer: LogSigner, files: KeyFiles) -> None:
    """(3): an unrecorded log key is taken only if it signed the log's latest checkpoint."""
    if found.size == 0:
        return
    latest = conn.execute(select(CHECKPOINT.c.size, CHECKPOINT.c.note).order_by(CHECKPOINT.c.size.desc())).first()
    try:
        if latest is None:
            raise VerificationError("the log holds entries but no checkpoint")
        note.open_note(latest.note, signer.verifier_key)
    except VerificationError as exc:
        raise KeyBindingError(
            f"{REFUSAL}the log key in {files.log_key.resolve()} ({key_id(signer.verifier_key)}) did not sign "
            f"the log's latest checkpoint ({exc}); no key was recorded for this log (it predates key ids), so "
            f"only the key that signed it is taken. Set PACKTRACE_LOG_KEY_FILE to that key ({files.looked_at()})"
        ) from None


def _check_opens_a_sealed_key(conn: Connection, found: Recorded, secret: bytes, files: KeyFiles) -> None:
    """(3): an unrecorded sealing secret is taken only if it opens one of the sealed keys."""
    if found.sealed_keys == 0:
        return
    row = conn.execute(
        select(KEY.c.key_id, KEY.c.org, KEY.c.sealed_private_key)
        .where(KEY.c.sealed_private_key.is_not(None))
        .order_by(KEY.c.key_id)
        .limit(1)
    ).one()
    try:
        custodial.unseal(bytes(row.sealed_private_key), org_id=row.org, key_id=row.key_id, sealing_key=secret)
    except custodial.SealingError as exc:
        raise KeyBindingError(
            f"{REFUSAL}the sealing secret in {files.sealing_key.resolve()} ({sealing_key_id(secret)}) does not "
            f"open the log's platform-held keys ({exc}); no secret was recorded for this log (it predates key "
            "ids), so only the one that sealed them is taken. Set PACKTRACE_SEALING_KEY_FILE to that secret "
            f"({files.looked_at()})"
        ) from None
