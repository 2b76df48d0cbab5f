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

Once the log names its key in its own entries (ledger.format.logkeys), those decide: every key in force
must be held, the file's or the one beside it (`<file>.next`, a rollover's new key; after a rollover
ended but before `packtrace log rotate-key --finish` swapped the files, the new key is still there), and
the recorded verifier key follows the key in force (ledger.usecases.logrotation).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.errors import VerificationError
from ledger.format import note
from ledger.format.logkey import LogKeyMissing, LogSigner, key_finder, load_or_create_key, next_key_path
from ledger.format.logkeys import label
from ledger.store import logmeta, registry
from ledger.store.db import Engine, write_connection
from ledger.store.logmeta import Recorded
from ledger.usecases import custodial

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


def log_signer(origin: str, private_key: Ed25519PrivateKey, files: KeyFiles) -> LogSigner:
    """The log's signer: the key file's key, and any other key in force looked up beside it."""
    return LogSigner(origin, private_key, find_key=key_finder(files.log_key, origin))


def check_log_key(found: Recorded, signer: LogSigner, files: KeyFiles) -> None:
    """(2) for the log key alone (what `packtrace verify` needs); the signer takes the log's key state."""
    if found.key_state is not None:
        if any(note.parse_verifier_key(key).name != signer.origin for key in found.key_state.in_force):
            return  # a log of another origin: Ledger.init refuses it, naming both origins
        _check_keys_in_force(found, signer, files)
        signer.adopt(found.key_state)
        return
    expected, holds = found.log_verifier_key, signer.verifier_key
    if expected is not None and _public_part(expected) != _public_part(holds):  # another origin: Ledger.init
        raise KeyBindingError(
            f"{REFUSAL}it is bound to the log key {key_id(expected)} (recorded in the database), but "
            f"{files.log_key.resolve()} holds the key {key_id(holds)}. Set PACKTRACE_LOG_KEY_FILE to the log's "
            f"own key file ({files.looked_at()})"
        )


def _check_keys_in_force(found: Recorded, signer: LogSigner, files: KeyFiles) -> None:
    assert found.key_state is not None
    for key in found.key_state.in_force:
        try:
            signer.key_for(key)
        except LogKeyMissing:
            held = f"{files.log_key.resolve()} holds the key {label(signer.own_key)}"
            if found.key_state.next is None:  # no rollover: one key, as before the key was in the registry
                raise KeyBindingError(
                    f"{REFUSAL}it is bound to the log key {label(key)} (named by the log's own entries), but "
                    f"{held}. Set PACKTRACE_LOG_KEY_FILE to the log's own key file ({files.looked_at()})"
                ) from None
            raise KeyBindingError(
                f"{REFUSAL}by its own entries the log's key in force is {found.key_state.describe()}, but no key "
                f"file holds {label(key)}: {held}, and {next_key_path(files.log_key).resolve()} does not hold it. "
                f"Restore the key file, or set PACKTRACE_LOG_KEY_FILE to where it is ({files.looked_at()})"
            ) from None


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
        found = logmeta.lock_recorded(conn)
        check_log_key(found, signer, files)
        check_sealing_key(found, secret, files)
        log_verifier_key = new_sealing_key_id = None
        if found.key_state is not None and found.log_verifier_key != found.key_state.current:
            log_verifier_key = found.key_state.current  # a rollover ended: the recorded key follows the log
        elif found.log_verifier_key is None:
            if found.size > 0:
                _check_latest_checkpoint(logmeta.latest_checkpoint_note(conn), signer, files)
            log_verifier_key = signer.verifier_key
        if found.sealing_key_id is None:
            sealed = registry.first_sealed_key(conn)
            if sealed is not None:
                _check_opens_a_sealed_key(sealed, secret, files)
            new_sealing_key_id = sealing_key_id(secret)
        logmeta.record_key_ids(conn, log_verifier_key=log_verifier_key, sealing_key_id=new_sealing_key_id)


def _check_latest_checkpoint(latest: str | None, signer: LogSigner, files: KeyFiles) -> None:
    """(3): an unrecorded log key is taken only if it signed the log's latest checkpoint (`latest`)."""
    try:
        if latest is None:
            raise VerificationError("the log holds entries but no checkpoint")
        note.open_note(latest, signer.verifier_key)
    except VerificationError as exc:
        raise KeyBindingError(
            f"{REFUSAL}the log key in {files.log_key.resolve()} ({key_id(signer.verifier_key)}) did not sign "
            f"the log's latest checkpoint ({exc}); no key was recorded for this log (it predates key ids), so "
            f"only the key that signed it is taken. Set PACKTRACE_LOG_KEY_FILE to that key ({files.looked_at()})"
        ) from None


def _check_opens_a_sealed_key(sealed: registry.SealedKey, secret: bytes, files: KeyFiles) -> None:
    """(3): an unrecorded sealing secret is taken only if it opens one of the sealed keys (`sealed`)."""
    assert sealed.sealed_private_key is not None
    try:
        custodial.unseal(sealed.sealed_private_key, org_id=sealed.org, key_id=sealed.key_id, sealing_key=secret)
    except custodial.SealingError as exc:
        raise KeyBindingError(
            f"{REFUSAL}the sealing secret in {files.sealing_key.resolve()} ({sealing_key_id(secret)}) does not "
            f"open the log's platform-held keys ({exc}); no secret was recorded for this log (it predates key "
            "ids), so only the one that sealed them is taken. Set PACKTRACE_SEALING_KEY_FILE to that secret "
            f"({files.looked_at()})"
        ) from None
