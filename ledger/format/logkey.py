"""The log's own Ed25519 keys: they sign every checkpoint. Files are created with mode 0600.

The key in force lives in PACKTRACE_LOG_KEY_FILE (`<file>`). `packtrace log rotate-key` makes the new
key of a rollover beside it in `<file>.next`; when the rollover ends the old key is kept as
`<file>.retired-<key id>` and `<file>.next` takes its place (`swap_in_next`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.format import logkeys, note
from ledger.format.logkeys import KeyState


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Read the PEM (PKCS #8) key at `path`, or create it there readable by its owner only."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        try:
            return create_key(path)
        except FileExistsError:  # another process created it first: use theirs
            return load_or_create_key(path)
    return _parse(path, pem)


def create_key(path: Path) -> Ed25519PrivateKey:
    """A new key written to `path` (mode 0600, synced); FileExistsError if there is a file already."""
    key = Ed25519PrivateKey.generate()
    _write_new(path, _pem(key))
    return key


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_new(path: Path, pem: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
        out.flush()
        os.fsync(out.fileno())


def next_key_path(path: Path) -> Path:
    """Where a rollover's new key waits until the rollover ends: `<file>.next`."""
    return path.with_name(path.name + ".next")


def retired_key_path(path: Path, verifier_key: str) -> Path:
    """Where a rolled-over key is kept: `<file>.retired-<8 hex key id>`."""
    return path.with_name(f"{path.name}.retired-{verifier_key.split('+', 2)[1]}")


def key_finder(path: Path, origin: str) -> Callable[[str], Ed25519PrivateKey | None]:
    """Look a key up by verifier key in `<file>` and `<file>.next` (read when asked: the next key may be
    made by another process after this one started)."""

    def find(verifier_key: str) -> Ed25519PrivateKey | None:
        for candidate in (path, next_key_path(path)):
            try:
                key = _parse(candidate, candidate.read_bytes())
            except FileNotFoundError:
                continue
            if note.verifier_key(origin, key.public_key()) == verifier_key:
                return key
        return None

    return find


def swap_in_next(path: Path, old_verifier_key: str) -> Path:
    """End a rollover on disk: keep `<file>` as `<file>.retired-<id>` (its key must be `old_verifier_key`'s),
    then move `<file>.next` into `<file>`. Each step is atomic and synced; run again after a crash, it
    finishes what is left. Returns the retired copy's path."""
    retired = retired_key_path(path, old_verifier_key)
    nxt = next_key_path(path)
    if not nxt.exists():
        return retired  # done already (or nothing to swap: the caller checks the file holds the new key)
    if not retired.exists():
        current = path.read_bytes()
        _write_new(retired, current)
    os.replace(nxt, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return retired


def load_key(path: Path) -> Ed25519PrivateKey:
    """Read an existing key; a missing file is an error here, not a reason to make a new key."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"no log key at {path}; pass --log-key or set PACKTRACE_LOG_KEY_FILE") from None
    return _parse(path, pem)


def _parse(path: Path, pem: bytes) -> Ed25519PrivateKey:
    loaded = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return loaded


class LogKeyMissing(RuntimeError):
    """The log's key events put a key in force whose private key this process does not hold: a
    configuration fault (a checkpoint without that signature would fail verification), never signed around."""


class LogSigner:
    """Signs checkpoints as C2SP tlog-checkpoint notes under the log's origin (its key name), with every key
    in force: one key, or during a rollover the old and the new (ledger.format.logkeys).

    It holds private keys by verifier key: the one it was made with (`own_key`) and any `hold` gives it,
    and asks `find_key` for one it lacks (a server finds the new key of a rollover another process started
    in the key files). `state` is the log's key state as last seen; None until the log names its key, when
    the key it was made with is the one in force. The append path tells it the state at each commit
    (`tentative`, `committed`), so a process that wrote the log's last entries need not read it."""

    def __init__(
        self,
        origin: str,
        private_key: Ed25519PrivateKey,
        *,
        find_key: Callable[[str], Ed25519PrivateKey | None] | None = None,
    ) -> None:
        self.origin = origin
        self.own_key = note.verifier_key(origin, private_key.public_key())
        self._held = {self.own_key: private_key}
        self._find_key = find_key
        self.state: KeyState | None = None
        self._tentative: tuple[int, KeyState | None] | None = None
        self._known: tuple[int, KeyState | None] | None = None

    # -- the keys ---------------------------------------------------------------------------------------

    @property
    def in_force(self) -> tuple[str, ...]:
        return (self.own_key,) if self.state is None else self.state.in_force

    @property
    def verifier_key(self) -> str:
        """The key in force (during a rollover the old one, which still signs every checkpoint)."""
        return self.in_force[0]

    @property
    def next_verifier_key(self) -> str | None:
        """During a rollover, the key it rolls over to."""
        return None if self.state is None else self.state.next

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return self.key_for(self.verifier_key)

    def hold(self, private_key: Ed25519PrivateKey) -> str:
        """Keep `private_key` to sign with when it is in force; its verifier key."""
        verifier_key = note.verifier_key(self.origin, private_key.public_key())
        self._held[verifier_key] = private_key
        return verifier_key

    def key_for(self, verifier_key: str) -> Ed25519PrivateKey:
        found = self._held.get(verifier_key)
        if found is None and self._find_key is not None:
            found = self._find_key(verifier_key)
            if found is not None:
                self.hold(found)
        if found is None:
            raise LogKeyMissing(
                f"the log key {logkeys.label(verifier_key)} is in force by the log's own entries, but this process "
                "does not hold its private key (during a rollover it is in the file beside PACKTRACE_LOG_KEY_FILE "
                "named <file>.next): no checkpoint is signed without it"
            )
        return found

    # -- signing ----------------------------------------------------------------------------------------

    def sign_checkpoint(self, size: int, root: bytes, keys: Sequence[str] | None = None) -> str:
        """The checkpoint note of (`size`, `root`), signed by each of `keys` (default: those in force)."""
        private_keys = [self.key_for(k) for k in (self.in_force if keys is None else keys)]
        return note.sign_note_keys(note.checkpoint_text(self.origin, size, root), self.origin, private_keys)

    # -- what the append path tells it --------------------------------------------------------------------

    def known_at(self, size: int) -> tuple[bool, KeyState | None]:
        """(True, state) when the state at `size` is known from this process's own last commit."""
        if self._known is not None and self._known[0] == size:
            return True, self._known[1]
        return False, None

    def tentative(self, size: int, state: KeyState | None) -> None:
        """The state at `size` once the transaction signing the checkpoint of `size` commits."""
        self._tentative = (size, state)

    def committed(self, size: int) -> None:
        """The transaction that made the log `size` entries long committed."""
        if self._tentative is not None and self._tentative[0] == size:
            self._known = self._tentative
            if self._known[1] is not None:
                self.state = self._known[1]
        self._tentative = None

    def adopt(self, state: KeyState | None) -> None:
        """Take the log's key state as read from the database."""
        self.state = state
