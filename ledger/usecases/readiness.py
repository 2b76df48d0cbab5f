"""Readiness (`GET /healthz`, docs/operations.md §6): whether this server can serve the log now. The database
answers; its schema is at this version's migration head (or was made by the server's own start, which brings
an unmanaged database up); the log key the server signs with is the one the log's entries put in force; the
sealing secret is the one the database recorded. Each failure is a reason naming what to do."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.format.logkey import LogKeyMissing
from ledger.format.logkeys import label
from ledger.log import Ledger
from ledger.store import logmeta
from ledger.store.migrate import schema_revisions
from ledger.usecases.keybinding import sealing_key_id


@dataclass(frozen=True)
class Readiness:
    size: int | None  # the log's size (None: the database did not answer)
    problems: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.problems


def _first_line(exc: BaseException) -> str:
    """`<class>: <first line>` of the driver's own error (SQLAlchemy wraps it as `orig`), without the SQL."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def readiness(ledger: Ledger, *, sealing_key: bytes | None) -> Readiness:
    """The checks in order; a database that does not answer stops them (the others need it)."""
    try:
        size = ledger.size()
        found = logmeta.recorded(ledger.engine)
        stamped, heads = schema_revisions(ledger.engine)
    except Exception as exc:  # any driver error: unreachable, refused, authentication, missing tables
        return Readiness(None, (f"database unreachable: {_first_line(exc)}",))
    problems: list[str] = []
    if stamped is not None and stamped != heads:
        problems.append(
            f"database schema at revision {', '.join(stamped) or 'none'}, this version needs {', '.join(heads)}: "
            "run `packtrace migrate`"
        )
    if found.key_state is not None:
        in_force: tuple[str, ...] = found.key_state.in_force
    else:
        in_force = () if found.log_verifier_key is None else (found.log_verifier_key,)
    for key in in_force:
        try:
            ledger.signer.key_for(key)
        except LogKeyMissing:
            problems.append(
                f"log key not loaded: the log's key in force is {label(key)}, this server holds "
                f"{label(ledger.signer.own_key)} (PACKTRACE_LOG_KEY_FILE)"
            )
    if sealing_key is not None and found.sealing_key_id not in (None, sealing_key_id(sealing_key)):
        problems.append(
            f"sealing secret not loaded: the database records the sealing secret {found.sealing_key_id}, this "
            f"server holds {sealing_key_id(sealing_key)} (PACKTRACE_SEALING_KEY_FILE)"
        )
    return Readiness(size, tuple(problems))
