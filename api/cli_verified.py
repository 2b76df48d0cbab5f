"""`packtrace verify --incremental`: the verifier's own state file, holding the checkpoint it verified last
(ledger.usecases.incremental). It lives with the verifier, never in the database it checks."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote


def default_state_file(origin: str) -> Path:
    """`$XDG_STATE_HOME/packtrace/verified/<origin>` (`~/.local/state` without XDG_STATE_HOME), the origin
    percent-encoded into one file name."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "packtrace" / "verified" / quote(origin, safe="")


def read_verified(path: Path) -> str | None:
    """The checkpoint note verified last, or None when the file does not exist (a first run)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def store_verified(path: Path, checkpoint: str) -> None:
    """Replace the state file in one rename, so a crash leaves the old checkpoint or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(checkpoint, encoding="utf-8")
    with partial.open("rb") as f:
        os.fsync(f.fileno())
    partial.replace(path)
