"""Issue 14, acceptance 2, on a real packtrace log: two witnesses (separate state directories) that
cosigned its checkpoint refuse a split view signed with the log's own key, their state byte for byte
unchanged; and the log key alone cannot produce a checkpoint that passes a quorum-of-1 policy. Then
`verify-bundle --policy` and the regulator's badge with PACKTRACE_POLICY."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.settings import Settings
from ledger.format import cosignature, tlogproof
from ledger.format.policy import QuorumNotMet, check_checkpoint, parse_policy
from ledger.usecases import workspace
from ledger.usecases.bundles import make_bundle
from tests.api.inprocess import in_process_client
from tests.support import code
from tests.web.login import session_cookie
from tests.witness.policyworld import WITNESS_TIME, World, policy_text, split_world

NOW = WITNESS_TIME + 3600


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with split_world(tmp_path) as made:
        yield made


@pytest.fixture
def forked(world: World) -> int:
    """The honest log and its fork each produce one more pack (other codes): the same size, other roots;
    both witnesses cosign the honest checkpoint. The size they cosigned."""
    world.honest.produce(world.actors["catl"], 2)
    world.fork.produce(world.actors["catl"], 3)
    assert world.honest.size() == world.fork.size()
    world.cosigned_checkpoint()
    return world.honest.size()


def label(vkey: str) -> str:
    return "+".join(vkey.split("+")[:2])


# --- (a), (b): split views refused by each witness, its state unchanged --------------------------------


def test_a_same_size_checkpoint_with_another_root_is_refused_by_each_witness(world: World, forked: int) -> None:
    assert world.fork.checkpoint() != world.honest.checkpoint()  # signed by the same key, another root
    for witness in world.witnesses:
        before = witness.snapshot()
        response = witness.post(world.fork.submission(forked))
        assert (response.status_code, response.text) == (409, f"{forked}\n")
        assert witness.snapshot() == before


def test_a_larger_checkpoint_of_a_forked_history_is_refused_by_each_witness(world: World, forked: int) -> None:
    world.fork.produce(world.actors["catl"], 4, 5)
    for witness in world.witnesses:
        before = witness.snapshot()
        # the fork's own consistency proof from the size the witness cosigned: valid in its history only
        response = witness.post(world.fork.submission(forked))
        assert response.status_code == 422
        assert response.text.startswith("一致性证明无效 bad consistency proof: consistency proof does not verify")
        assert witness.snapshot() == before
    world.honest.produce(world.actors["catl"], 6)  # the honest log goes on being cosigned
    assert all(w.cosign(world.honest) for w in world.witnesses)


# --- (c): the log key alone cannot pass a quorum-of-1 policy -------------------------------------------


def _quorum_of_one(world: World) -> Any:
    return parse_policy(policy_text(world, "w1"))


def test_the_genuine_cosigned_checkpoint_passes_a_quorum_of_one(world: World) -> None:
    accepted = check_checkpoint(world.cosigned_checkpoint(), _quorum_of_one(world), now=NOW)
    assert accepted.cosigned == {"w1": WITNESS_TIME, "w2": WITNESS_TIME}
    assert accepted.log_key.text == world.honest.verifier_key


def test_a_checkpoint_without_cosignatures_is_refused(world: World) -> None:
    with pytest.raises(QuorumNotMet) as refused:
        check_checkpoint(world.honest.checkpoint(), _quorum_of_one(world), now=NOW)
    assert refused.value.message == (
        f"checkpoint packtrace.test/log at size {world.honest.size()} does not meet the policy's quorum w1; "
        "cosigned by: none; not cosigned by: w1, w2"
    )


def test_a_cosignature_forged_under_the_witness_name_with_another_key_is_refused(world: World) -> None:
    note = world.honest.checkpoint()
    text = note.split("\n\n")[0] + "\n"
    forger = Ed25519PrivateKey.generate()
    forged = cosignature.cosign(text, "w1.witness.test", forger, WITNESS_TIME)
    stranger = label(cosignature.verifier_key("w1.witness.test", forger.public_key()))
    with pytest.raises(QuorumNotMet) as refused:
        check_checkpoint(note + forged, _quorum_of_one(world), now=NOW)
    assert refused.value.message.endswith(
        f"cosigned by: none; not cosigned by: w1, w2; signatures by keys the policy does not name (ignored): {stranger}"
    )


def test_a_cosignature_over_another_checkpoint_is_refused(world: World) -> None:
    earlier = world.witnesses[0].cosign(world.honest)  # w1's genuine cosignature of the checkpoint then
    world.honest.produce(world.actors["catl"], 2)
    world.fork.produce(world.actors["catl"], 3)
    with pytest.raises(QuorumNotMet) as refused:
        check_checkpoint(world.honest.checkpoint() + earlier, _quorum_of_one(world), now=NOW)
    w1 = label(world.witnesses[0].verifier_key)
    assert refused.value.message.endswith(
        "cosigned by: none; not cosigned by: w1, w2; "
        f"not counted: w1: cosignature by {w1} does not verify over the checkpoint at time {WITNESS_TIME}"
    )
    # nor does it count on the fork's checkpoint of the size it cosigned
    with pytest.raises(QuorumNotMet, match="not counted: w1: cosignature by"):
        check_checkpoint(world.fork.checkpoint() + earlier, _quorum_of_one(world), now=NOW)


# --- verify-bundle --policy ----------------------------------------------------------------------------

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def files(world: World, tmp_path: Path) -> dict[str, Path]:
    """pack 1's bundle and tlog-proof with the cosigned checkpoint, both without, the entry, a policy
    needing both witnesses."""
    cosigned = world.cosigned_checkpoint()
    bundle = make_bundle(world.honest.ledger, code(1))
    last = world.honest.ledger.pack_entries(code(1))[-1]
    hashes = world.honest.ledger.inclusion_proof(last.idx, world.honest.size())
    paths = {name: tmp_path / name for name in ("cosigned.json", "bare.json", "cosigned.proof", "bare.proof")}
    paths["cosigned.json"].write_text(json.dumps({**bundle, "checkpoint": cosigned}))
    paths["bare.json"].write_text(json.dumps(bundle))
    paths["cosigned.proof"].write_text(tlogproof.encode(last.idx, hashes, cosigned))
    paths["bare.proof"].write_text(tlogproof.encode(last.idx, hashes, world.honest.checkpoint()))
    paths["entry"] = tmp_path / "entry.json"
    paths["entry"].write_bytes(last.body)
    paths["policy"] = tmp_path / "policy.txt"
    paths["policy"].write_text(policy_text(world, "group all"))
    return paths


def test_verify_bundle_with_a_policy_passes_the_cosigned_bundle(world: World, files: dict[str, Path]) -> None:
    status, out, err = run("verify-bundle", str(files["cosigned.json"]), "--policy", str(files["policy"]))
    assert (status, err) == (0, "")
    assert out.splitlines()[-1] == (
        f"Policy: checkpoint signed by the log key {label(world.honest.verifier_key)} and cosigned by w1, w2; "
        "quorum regulators: all of (w1, w2) (见证方已联署)"
    )
    assert out.startswith(f"OK: pack {code(1)}: entries 0–0 proven")


def test_verify_bundle_with_a_policy_refuses_the_bundle_without_the_quorum(
    world: World, files: dict[str, Path]
) -> None:
    status, out, err = run("verify-bundle", str(files["bare.json"]), "--policy", str(files["policy"]))
    assert (status, out) == (1, "")
    assert " ".join(err.split()) == (
        "FAILED 未达到见证法定人数 witness quorum not met: checkpoint packtrace.test/log at size "
        f"{world.honest.size()} does not meet the policy's quorum regulators: all of (w1, w2); cosigned by: "
        "none; not cosigned by: w1, w2"
    )
    # the same bundle with the log's key alone passes: the key proves what it signed, not a single view
    assert run("verify-bundle", str(files["bare.json"]), "--log-key", world.honest.verifier_key)[0] == 0


def test_verify_bundle_with_a_policy_checks_a_tlog_proof(world: World, files: dict[str, Path]) -> None:
    entry = ("--entry", str(files["entry"]))
    status, out, _ = run("verify-bundle", str(files["cosigned.proof"]), *entry, "--policy", str(files["policy"]))
    assert status == 0 and out.startswith("OK: tlog-proof: the entry of entry.json")
    assert "cosigned by w1, w2; quorum regulators: all of (w1, w2)" in out
    status, _, err = run("verify-bundle", str(files["bare.proof"]), *entry, "--policy", str(files["policy"]))
    assert status == 1 and "FAILED 未达到见证法定人数 witness quorum not met" in err


def test_verify_bundle_needs_exactly_one_of_log_key_and_policy(world: World, files: dict[str, Path]) -> None:
    both = ("--log-key", world.honest.verifier_key, "--policy", str(files["policy"]))
    why = (
        "FAILED 给出 --log-key 或 --policy 之一 give exactly one of --log-key VKEY (the log's key) or --policy "
        "FILE (a trust policy naming the log's keys)"
    )
    for args in (both, ()):
        status, _, err = run("verify-bundle", str(files["cosigned.json"]), *args)
        assert (status, " ".join(err.split())) == (1, why)


def test_verify_bundle_refuses_a_bad_policy_naming_its_line(files: dict[str, Path]) -> None:
    files["policy"].write_text("# the province\nlog nokey\nquorum none\n")
    status, _, err = run("verify-bundle", str(files["cosigned.json"]), "--policy", str(files["policy"]))
    assert (status, " ".join(err.split())) == (
        1,
        f"FAILED 信任策略无效 bad trust policy: {files['policy']} line 2: log: verifier key must be "
        "<name>+<key id>+<key>, found 1 fields",
    )


# --- PACKTRACE_POLICY and the regulator's badge ---------------------------------------------------------


def test_a_bad_policy_file_refuses_to_start_naming_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "policy.txt"
    path.write_text("log a+b+c\n")
    monkeypatch.setenv("PACKTRACE_POLICY", str(path))
    with pytest.raises(ValueError, match=rf"PACKTRACE_POLICY: {path} line 1: log: verifier key id must be 8"):
        Settings()
    path.write_text("quorum none\n")
    status, _, err = run("serve")
    assert status == 1
    assert " ".join(err.split()) == (
        f"configuration refused: PACKTRACE_POLICY: {path}: no 'log' line: a policy names at least one log key"
    )


def _with_checkpoint(monkeypatch: pytest.MonkeyPatch, note: str) -> None:
    """Bundles built with `note` as their checkpoint (the lead's change: the newest cosigned checkpoint)."""
    made, window = workspace.make_bundle, workspace.window_bundle
    monkeypatch.setattr(workspace, "make_bundle", lambda *args: {**made(*args), "checkpoint": note})
    monkeypatch.setattr(workspace, "window_bundle", lambda *args: {**window(*args), "checkpoint": note})


def test_the_record_verified_under_a_policy_names_the_cosigners(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = parse_policy(policy_text(world, "group 2"))
    _with_checkpoint(monkeypatch, world.cosigned_checkpoint())
    verification = workspace.verify_pack_record(world.honest.ledger, code(1), policy=policy)
    assert verification.verified and verification.policy
    assert verification.cosigned == ["w1", "w2"] and verification.quorum == "regulators: 2 of (w1, w2)"


def test_the_record_without_the_quorum_fails_verification_naming_why(world: World) -> None:
    policy = parse_policy(policy_text(world, "group any"))
    verification = workspace.verify_pack_record(world.honest.ledger, code(1), policy=policy)
    assert not verification.verified and verification.policy
    assert verification.error == (
        f"checkpoint packtrace.test/log at size {world.honest.size()} does not meet the policy's quorum "
        "regulators: any of (w1, w2); cosigned by: none; not cosigned by: w1, w2"
    )
    assert verification.quorum == "regulators: any of (w1, w2)"


def _page(world: World, tmp_path: Path, policy: str | None, lang: str = "zh") -> str:
    path = tmp_path / "policy.txt"
    if policy is not None:
        path.write_text(policy)
    url = f"sqlite:///{world.honest.path}"
    settings = Settings(database_url=url, log_key_file=tmp_path / "log.key", policy_file=path if policy else None)
    with in_process_client(create_app(world.honest.ledger, settings=settings)) as client:
        headers = session_cookie(world.honest.ledger, world.actors["fj-miit"].token)
        return client.get(f"/regulator/packs/{code(1)}?lang={lang}", headers=headers).text


def test_the_badge_names_the_witnesses_or_says_why_it_failed(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = policy_text(world, "group all")
    failed = _page(world, tmp_path, text)
    assert 'class="verify bad"' in failed and "验证失败" in failed
    assert "cosigned by: none; not cosigned by: w1, w2" in failed
    assert "信任策略要求的见证法定人数：regulators: all of (w1, w2)。" in failed
    _with_checkpoint(monkeypatch, world.cosigned_checkpoint())
    passed = _page(world, tmp_path, text, lang="en")
    assert 'class="verify ok"' in passed
    assert "cosigned by the witnesses w1, w2, which meets its quorum (regulators: all of (w1, w2))." in passed
    key_only = _page(world, tmp_path, None)
    assert 'class="verify ok"' in key_only and "未配置信任策略：仅用日志公钥核验" in key_only
