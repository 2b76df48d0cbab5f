"""A C2SP tlog-witness: `POST /add-checkpoint` cosigns a log's checkpoint only if it is consistent with
the latest one this witness cosigned for that log (docs/ledger-format.md, "Witnesses").

The state directory holds the witness's key (`witness.key`, PEM, mode 0600), its name (`witness.name`)
and the head it holds per log (`heads/`, api/witness_store.py). Nothing is built at import time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from api.witness_store import HeadStore
from ledger.format import cosignature
from ledger.format.logkey import create_key, load_key
from ledger.format.note import Verifier
from ledger.format.witnessing import Refusal, decide, parse_submission

KEY_FILE = "witness.key"
NAME_FILE = "witness.name"
MAX_BODY_BYTES = 64 * 1024  # 63 proof lines and a checkpoint with 100 signatures fit many times over


@dataclass(frozen=True)
class Identity:
    name: str
    key: Ed25519PrivateKey

    @property
    def verifier_key(self) -> str:
        return cosignature.verifier_key(self.name, self.key.public_key())


def init_state(state: Path, name: str) -> Identity:
    """A new witness in `state`: its key (mode 0600) and name; FileExistsError if it has a key already."""
    cosignature.verifier_key(name, Ed25519PrivateKey.generate().public_key())  # the name is a valid key name
    if (state / KEY_FILE).exists():
        raise FileExistsError(state / KEY_FILE)
    state.mkdir(parents=True, exist_ok=True)
    (state / NAME_FILE).write_text(name + "\n", encoding="utf-8")  # before the key: an init cut short reruns
    return Identity(name, create_key(state / KEY_FILE))


def load_identity(state: Path) -> Identity:
    """The witness's name and key as `init_state` wrote them (FileNotFoundError when it did not)."""
    name = (state / NAME_FILE).read_text(encoding="utf-8").strip()
    return Identity(name, load_key(state / KEY_FILE))


class Witness:
    """Cosigns for the logs it trusts, recording each cosigned head before returning its cosignature."""

    def __init__(
        self,
        identity: Identity,
        logs: Mapping[str, Sequence[Verifier]],
        heads: HeadStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.identity, self.logs, self.heads, self.clock = identity, logs, heads, clock

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line(s) for the request body; raises `Refusal`."""
        submission = parse_submission(body)
        origin = submission.checkpoint.origin
        while True:  # a swap lost to a concurrent request decides again on the head that won
            held = self.heads.held(origin)
            accepted = decide(submission, self.logs, held)
            if self.heads.swap(origin, held, accepted.head):
                break
        return cosignature.cosign(accepted.checkpoint_text, self.identity.name, self.identity.key, int(self.clock()))


def create_witness_app(witness: Witness) -> FastAPI:
    app = FastAPI(title="packtrace witness", description="C2SP tlog-witness: cosigns consistent checkpoints.")
    router = APIRouter(tags=["witness"])

    @router.post("/add-checkpoint", response_class=PlainTextResponse)
    async def add_checkpoint(request: Request) -> Response:
        """Cosign a checkpoint consistent with the latest one this witness cosigned for its log."""
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse(f"请求过大 request body over {MAX_BODY_BYTES} bytes\n", status_code=413)
        try:
            lines = await run_in_threadpool(witness.add_checkpoint, body)
        except Refusal as refusal:
            # the media type exactly as the specification gives it (no charset added to text/x.tlog.size)
            return Response(refusal.body.encode(), refusal.status, headers={"content-type": refusal.media_type})
        return PlainTextResponse(lines)

    app.include_router(router)
    return app
