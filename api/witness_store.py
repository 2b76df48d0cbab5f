"""What a witness holds per log, on disk, changed only by compare-and-swap.

`<state>/heads/<sha256(origin) hex>.json` holds `{origin, size, root}` for each log the witness cosigned.
A swap takes an exclusive lock on `<state>/heads/.lock` (threads and processes alike), checks that the
file still holds the head the caller's decision read, writes the new head to a temporary file, fsyncs it,
renames it into place and fsyncs the directory. So a cosignature returned after `swap` is backed by a
durable head, and a crash leaves either the old head or the new one, never a mix.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledger.format.witnessing import NEVER_COSIGNED, TreeHead


class HeadStore:
    def __init__(self, state: Path) -> None:
        self.directory = state / "heads"
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock_path = self.directory / ".lock"
        self._thread_lock = threading.Lock()

    def _path(self, origin: str) -> Path:
        return self.directory / f"{hashlib.sha256(origin.encode()).hexdigest()}.json"

    def held(self, origin: str) -> TreeHead:
        """The latest head cosigned for `origin`, or `NEVER_COSIGNED`."""
        try:
            record = json.loads(self._path(origin).read_bytes())
        except FileNotFoundError:
            return NEVER_COSIGNED
        if record["origin"] != origin:
            raise RuntimeError(f"{self._path(origin)} holds the head of {record['origin']!r}, not {origin!r}")
        return TreeHead(int(record["size"]), base64.b64decode(record["root"]))

    def swap(self, origin: str, expected: TreeHead, new: TreeHead) -> bool:
        """Record `new` for `origin` if it still holds `expected`; False (nothing written) if not."""
        with self._locked():
            if self.held(origin) != expected:
                return False
            if new != expected:
                self._write(origin, new)
            return True

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock, open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, origin: str, head: TreeHead) -> None:
        path = self._path(origin)
        record = {"origin": origin, "size": head.size, "root": base64.b64encode(head.root).decode("ascii")}
        temporary = path.with_suffix(".tmp")
        with open(temporary, "wb") as out:
            out.write(json.dumps(record).encode())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
