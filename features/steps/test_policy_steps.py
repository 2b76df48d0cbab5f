"""Steps of features/policy.feature: witnesses refuse a split view of a real log, and a trust policy's
quorum refuses what the log's key alone signed (issue 14, acceptance 2)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytest_bdd import given, parsers, scenarios, then, when
from typer.testing import CliRunner

from api.cli import app as cli
from ledger.format import cosignature
from ledger.format.policy import QuorumNotMet, check_checkpoint, parse_policy
from ledger.usecases.bundles import make_bundle
from ledger.usecases.heads import commit_heads
from tests.support import code
from tests.witness.policyworld import WITNESS_TIME, World, policy_text, split_world

scenarios("policy.feature")

NOW = WITNESS_TIME + 3600


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with split_world(tmp_path) as made:
        yield made


@pytest.fixture
def seen() -> dict[str, Any]:
    return {}


@given("a packtrace log, a fork of it signed with the same key, and two witnesses with their own state")
def _split(world: World) -> None:
    assert world.honest.checkpoint() == world.fork.checkpoint()  # the fork starts as a copy
    assert len({w.state for w in world.witnesses}) == 2


@given("both witnesses have cosigned the log's latest checkpoint")
def _cosigned(world: World, seen: dict[str, Any]) -> None:
    world.honest.produce(world.actors["catl"], 2)
    commit_heads(world.honest.ledger)  # the latest checkpoint is then the one pack 1's bundle is proven against
    world.fork.produce(world.actors["catl"], 3)
    commit_heads(world.fork.ledger)  # the same size, another root
    seen["cosigned"] = world.cosigned_checkpoint()
    seen["size"] = world.honest.size()


def _submit(world: World, seen: dict[str, Any]) -> None:
    seen["before"] = [w.snapshot() for w in world.witnesses]
    seen["answers"] = [w.post(world.fork.submission(seen["size"])) for w in world.witnesses]


@when("the log's key signs the fork's checkpoint of the same size with another root")
def _same_size(world: World, seen: dict[str, Any]) -> None:
    assert world.fork.size() == seen["size"] and world.fork.checkpoint() != world.honest.checkpoint()
    _submit(world, seen)


@when("the fork grows and the log's key signs its larger checkpoint")
def _larger(world: World, seen: dict[str, Any]) -> None:
    world.fork.produce(world.actors["catl"], 4, 5)
    _submit(world, seen)


@then(parsers.parse("each witness refuses it with status {status:d} and its state files are unchanged"))
def _refused(world: World, seen: dict[str, Any], status: int) -> None:
    assert [a.status_code for a in seen["answers"]] == [status, status]
    assert [w.snapshot() for w in world.witnesses] == seen["before"]


@given(parsers.parse('a trust policy with the log\'s key, both witnesses and the quorum "{quorum}"'))
def _policy(world: World, seen: dict[str, Any], quorum: str) -> None:
    seen["policy_text"] = policy_text(world, quorum)
    seen["policy"] = parse_policy(seen["policy_text"])


@given(parsers.parse('a trust policy with the log\'s key, both witnesses and the quorum "{word}" of them'))
def _group_policy(world: World, seen: dict[str, Any], word: str) -> None:
    _policy(world, seen, f"group {word}")


def _refuses(seen: dict[str, Any], note: str, why: str) -> None:
    with pytest.raises(QuorumNotMet) as refused:
        check_checkpoint(note, seen["policy"], now=NOW)
    assert why in refused.value.message


@then(parsers.parse('a checkpoint without cosignatures is refused, saying "{why}"'))
def _bare(world: World, seen: dict[str, Any], why: str) -> None:
    _refuses(seen, world.honest.checkpoint(), why)


@then(parsers.parse('a checkpoint with a cosignature forged under w1\'s name is refused, saying "{why}"'))
def _forged(world: World, seen: dict[str, Any], why: str) -> None:
    note = world.honest.checkpoint()
    line = cosignature.cosign(note.split("\n\n")[0] + "\n", "w1.witness.test", Ed25519PrivateKey.generate(), 1)
    _refuses(seen, note + line, why)


@then(parsers.parse('a checkpoint carrying w1\'s cosignature of another checkpoint is refused, saying "{why}"'))
def _other(world: World, seen: dict[str, Any], why: str) -> None:
    w1 = seen["cosigned"].removeprefix(world.honest.checkpoint()).splitlines(keepends=True)[0]
    _refuses(seen, world.fork.checkpoint() + w1, why)  # the fork's checkpoint of the same size


@then(parsers.parse('the checkpoint the witnesses cosigned is accepted, cosigned by "{names}"'))
def _accepted(seen: dict[str, Any], names: str) -> None:
    accepted = check_checkpoint(seen["cosigned"], seen["policy"], now=NOW)
    assert ", ".join(accepted.cosigned) == names


def _verify_bundle(world: World, seen: dict[str, Any], tmp_path: Path, note: str) -> None:
    bundle = {**make_bundle(world.honest.ledger, code(1)), "checkpoint": note}
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "policy.txt").write_text(seen["policy_text"])
    args = ["verify-bundle", str(tmp_path / "bundle.json"), "--policy", str(tmp_path / "policy.txt")]
    seen["run"] = CliRunner().invoke(cli, args)


@when("someone runs verify-bundle --policy on pack 1's bundle with the cosigned checkpoint")
def _run_cosigned(world: World, seen: dict[str, Any], tmp_path: Path) -> None:
    _verify_bundle(world, seen, tmp_path, seen["cosigned"])


@when("someone runs verify-bundle --policy on pack 1's bundle with the checkpoint the log's key alone signed")
def _run_bare(world: World, seen: dict[str, Any], tmp_path: Path) -> None:
    _verify_bundle(world, seen, tmp_path, world.honest.checkpoint())


@then(parsers.parse('it passes, saying "{text}"'))
def _passes(seen: dict[str, Any], text: str) -> None:
    assert seen["run"].exit_code == 0, seen["run"].stderr
    assert text in seen["run"].stdout


@then(parsers.parse('it fails, saying "{text}"'))
def _fails(seen: dict[str, Any], text: str) -> None:
    assert seen["run"].exit_code == 1
    assert text in " ".join(seen["run"].stderr.split())
