"""The log key rollover from the outside: `packtrace log rotate-key` on the database while a server runs,
`GET /v1/log/key`, `packtrace log follow` over HTTP with the old key, `verify-bundle` with the old key,
`packtrace verify`, and the server starting in the middle of a rollover and after it."""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.bootstrap import BoundLedger, build_ledger
from api.client import PacktraceClient, Signer
from api.settings import Settings
from ledger.format import note
from ledger.format.logkeys import label
from ledger.usecases import logrotation
from ledger.usecases.keybinding import KeyBindingError
from tests.api.scenario import code
from tests.api.test_cli import env, make_maker, run, server  # noqa: F401  (the CLI's fixtures and helpers)

PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}


def signers_of(signed: str) -> list[str]:
    block = signed.rsplit("\n\n", 1)[1]
    return [base64.b64decode(line.rsplit(" ", 1)[1])[:4].hex() for line in block.splitlines()]


def key_id(verifier_key: str) -> str:
    return verifier_key.split("+")[1]


class Maker:
    def __init__(self, url: str, token: str, key_file: str) -> None:
        self.url, self.token = url, token
        self.signer = Signer.from_key_file(key_file, actor="catl", key_id="catl/1")
        self.serial = 0

    def produce(self) -> str:
        """Post a `produced` event to the server; its latest checkpoint."""
        self.serial += 1
        with PacktraceClient(self.url, token=self.token) as api:
            api.post_event(self.signer.sign(code(self.serial), "produced", PRODUCED, at=datetime.now(UTC)))
            return api.checkpoint()


def follow(url: str, state: Path, log_key: str | None = None) -> tuple[int, str, str]:
    return run("log", "follow", "--url", url, "--state", str(state), *(["--log-key", log_key] if log_key else []))


def test_a_verifier_holding_the_old_key_follows_a_rollover_the_operator_runs(
    env: Path,  # noqa: F811
    server: str,  # noqa: F811
) -> None:
    maker = Maker(server, *make_maker(env))
    maker.produce()
    key = httpx.get(f"{server}/v1/log/key").json()
    old = key["verifier_key"]
    assert key["next_verifier_key"] is None
    assert [e["entry"]["claim"]["type"] for e in key["key_events"]] == ["log_key"]  # named at the first start
    state = env / "follower.json"
    exit_code, out, _ = follow(server, state, old)
    assert (
        exit_code == 0
        and out.startswith("OK 已验证: cli.test/log at tree size ")
        and out.endswith(f"trusting {label(old)}\n")
    )

    # the operator starts the rollover on the database; the running server signs with both keys at once
    exit_code, new_line, err = run("log", "rotate-key")
    new = new_line.strip()
    assert exit_code == 0 and "密钥轮换已开始 rollover started" in err
    assert (env / "log.key.next").exists()
    key = httpx.get(f"{server}/v1/log/key").json()
    assert (key["verifier_key"], key["next_verifier_key"]) == (old, new)
    assert [e["entry"]["claim"]["type"] for e in key["key_events"]] == ["log_key", "log_rollover_started"]
    assert signers_of(maker.produce()) == [key_id(old), key_id(new)]

    exit_code, out, err = follow(server, state)  # the state file holds the key now; no --log-key needed
    assert exit_code == 0, err
    assert f"now trusting {label(new)} too" in err
    assert out.endswith(f"trusting {label(old)} rolling over to {label(new)}\n")

    # a bundle of the rollover verifies with the old key alone
    bundle = env / "bundle.json"
    assert run("export", str(bundle), "--pack", code(1))[0] == 0
    assert signers_of(json.loads(bundle.read_text())["checkpoint"]) == [key_id(old), key_id(new)]
    exit_code, out, err = run("verify-bundle", str(bundle), "--log-key", old)
    assert exit_code == 0 and out.startswith(f"OK: pack {code(1)}"), err

    # the operator ends it; the new key alone signs, and sits in the key file
    exit_code, out, err = run("log", "rotate-key", "--finish")
    assert (exit_code, out.strip()) == (0, new) and "密钥轮换已结束 rollover ended" in err
    assert (env / f"log.key.retired-{key_id(old)}").exists() and not (env / "log.key.next").exists()
    assert signers_of(maker.produce()) == [key_id(new)]
    key = httpx.get(f"{server}/v1/log/key").json()
    assert (key["verifier_key"], key["next_verifier_key"]) == (new, None)

    exit_code, out, err = follow(server, state)
    assert exit_code == 0, err
    assert f"{label(old)} dropped, trusting {label(new)} alone" in err and out.endswith(f"trusting {label(new)}\n")
    fresh = env / "fresh.json"  # a verifier that slept through it, holding the old key
    assert follow(server, fresh, old)[0] == 0
    assert json.loads(fresh.read_text())["keys"] == [new]

    for args in ([], ["--log-key", old], ["--log-key", new]):
        exit_code, out, err = run("verify", *args)
        assert exit_code == 0 and out.startswith("OK: "), err


def test_follow_refuses_a_log_its_key_did_not_sign_and_keeps_no_state(
    env: Path,  # noqa: F811
    server: str,  # noqa: F811
) -> None:
    Maker(server, *make_maker(env)).produce()
    log = httpx.get(f"{server}/v1/log/key").json()["verifier_key"]
    stranger = note.verifier_key("cli.test/log", Ed25519PrivateKey.generate().public_key())
    state = env / "follower.json"
    exit_code, _, err = follow(server, state, stranger)
    assert exit_code == 1 and not state.exists()
    assert err.startswith(
        f"已拒绝 REFUSED checkpoint refused: note has no signature by a trusted key (trusted: {label(stranger)}); "
        f"found signatures by: {label(log)}."
    )
    assert follow(server, state)[:1] == (1,)  # no state, no key: nothing to start from
    assert follow("http://127.0.0.1:9", state, log)[0] == 2  # nothing listens there


@contextmanager
def started(settings: Settings) -> Iterator[BoundLedger]:
    """A server's ledger, as build_ledger makes it at start-up; closed with its engine."""
    ledger = build_ledger(settings)
    try:
        yield ledger
    finally:
        ledger.close()
        ledger.engine.dispose()


def test_the_server_starts_in_the_middle_of_a_rollover_and_after_it(env: Path) -> None:  # noqa: F811
    key_file = env / "log.key"
    with started(Settings()) as ledger:
        old = ledger.signer.verifier_key
        new = logrotation.start(ledger, key_file).new
    with started(Settings()) as ledger:  # a restart during the rollover: both keys in force
        assert ledger.signer.in_force == (old, new)

    shutil.move(env / "log.key.next", env / "elsewhere.key")
    with pytest.raises(KeyBindingError) as refused:
        build_ledger(Settings())
    assert re.search(
        rf"by its own entries the log's key in force is {re.escape(label(old))} rolling over to "
        rf"{re.escape(label(new))}, but no key file holds {re.escape(label(new))}",
        str(refused.value),
    )
    shutil.move(env / "elsewhere.key", env / "log.key.next")

    with started(Settings()) as ledger:
        logrotation.finish(ledger, key_file)
    with started(Settings()) as ledger:  # after it: the new key alone, from the key file
        assert ledger.signer.in_force == (new,) and ledger.signer.own_key == new
