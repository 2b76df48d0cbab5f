"""Make tests/data/pre_registry/: a database as packtrace made it before the registry was in the log
(commit 47692da), for tests/test_registry_migration.py. Run it against that commit's code:

    git worktree add /tmp/before 47692da
    PYTHONPATH=/tmp/before python tests/data/make_pre_registry_db.py tests/data/pre_registry

It registers a small province (organisations and keys as database rows, outside the log), appends pack
events, revokes one key and adds a platform-held key, and leaves the log key, the sealing secret and
the organisations' private keys (org-keys.json) beside the database (test keys, made for this fixture only).
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ledger.format.logkey import LogSigner, load_or_create_key
from ledger.log import Ledger
from ledger.store.db import make_engine
from ledger.usecases import custodial, orgkeys
from ledger.usecases.access import ADMIN
from tests.support import PRODUCED, T0, Clock, code, province

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
engine = make_engine(f"sqlite:///{out / 'ledger.db'}")
signer = LogSigner("pre-registry.test/log", load_or_create_key(out / "log.key"))
sealing = custodial.load_or_create_sealing_key(out / "sealing.key")
ledger = Ledger(engine, signer, clock=Clock())
ledger.init()
actors = province(ledger)
maker, auto, recycler = actors["catl"], actors["byd-auto"], actors["gem-recycling"]
for serial in range(1, 4):
    pack = code(serial)
    ledger.append_one(*maker.claim(pack, "produced", PRODUCED, at=T0), as_org="catl")
    ledger.append_one(*maker.claim(pack, "shipped", {"to": "byd-auto"}, at=T0 + timedelta(days=1)), as_org="catl")
orgkeys.revoke_key(ledger, ADMIN, "catl", "catl/1")
custodial.create_platform_key(ledger, "gem-recycling", sealing_key=sealing)
ledger.close()
engine.dispose()
raw = {a.id: a.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex() for a in actors.values()}
(out / "org-keys.json").write_text(json.dumps({a.key_id: raw[a.id] for a in actors.values()}, indent=1) + "\n")
print(f"{out}: pre-registry database with {len(actors)} organisations")
