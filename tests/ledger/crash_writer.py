"""A writer process for the crash test: appends fixed batches of deterministic claims, forever idempotent.

usage: python -m tests.ledger.crash_writer DATABASE_URL WORKDIR BATCHES BATCH_SIZE [--from-zero]

It resumes after the last complete batch, unless --from-zero, which re-submits everything (idempotent).
WORKDIR holds the maker's key seed, the log key, and `base`: the log's size before the first batch (the
registry's entries).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.format.claims import new_claim, sign_claim
from ledger.format.logkey import LogSigner, load_key
from ledger.log import Ledger
from ledger.store.db import make_engine
from tests.support import PRODUCED, T0, code

ORIGIN = "packtrace.test/log"


def claims(batch: int, size: int, private: Ed25519PrivateKey) -> list[tuple[dict, str]]:
    out = []
    for i in range(size):
        serial = batch * size + i
        claim = new_claim(
            pack=code(serial),
            type="produced",
            actor="catl",
            key="catl/1",
            data=PRODUCED,
            at=T0,
            claim_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"crash/{serial}")),
        )
        out.append((claim, sign_claim(claim, private)))
    return out


def main() -> None:
    url, workdir, batches, size = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    private = Ed25519PrivateKey.from_private_bytes((workdir / "maker.seed").read_bytes())
    ledger = Ledger(make_engine(url), LogSigner(ORIGIN, load_key(workdir / "log.key")))
    base = int((workdir / "base").read_text())
    first = 0 if "--from-zero" in sys.argv else (ledger.size() - base) // size
    print("ready", flush=True)
    for batch in range(first, batches):
        ledger.append(claims(batch, size, private))
    print("done", flush=True)


if __name__ == "__main__":
    main()
