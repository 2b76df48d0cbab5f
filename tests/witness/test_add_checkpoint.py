"""POST /add-checkpoint (C2SP tlog-witness): each status with its exact body, and the split views the
witness refuses with its state unchanged (issue 14, acceptance 2 for the witness)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.witness import Witness, create_witness_app, init_state
from api.witness_store import HeadStore
from ledger.format import cosignature, note
from ledger.format.witnessing import NEVER_COSIGNED, TreeHead, parse_submission, trusted_logs
from tests.api.inprocess import in_process_client
from tests.witness import independent
from tests.witness.synthetic import LOG_VKEY, ORIGIN, SyntheticLog

NOW = 1_780_000_000
HONEST = SyntheticLog(40)
FORK = SyntheticLog(40, fork_at=20)  # the log's own key, another history from leaf 20 on


class Setup:
    def __init__(self, state: Path, stack: ExitStack) -> None:
        self.identity = init_state(state, "witness.example.org/w1")
        self.heads = HeadStore(state)
        app = create_witness_app(Witness(self.identity, trusted_logs([LOG_VKEY]), self.heads, clock=lambda: NOW))
        self.client = stack.enter_context(in_process_client(app))
        self.files = state / "heads"

    def post(self, body: bytes) -> tuple[int, str, str]:
        response = self.client.post("/add-checkpoint", content=body)
        return response.status_code, response.headers["content-type"], response.text

    def held(self) -> TreeHead:
        return self.heads.held(ORIGIN)

    def snapshot(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in self.files.iterdir()}


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[Setup]:
    with ExitStack() as stack:
        yield Setup(tmp_path / "w", stack)


def cosign_at(witness: Setup, old: int, new: int) -> None:
    assert witness.post(HONEST.request(old, new))[0] == 200


# --- 200 --------------------------------------------------------------------------------------------


def test_first_checkpoint_is_cosigned_and_recorded(witness: Setup) -> None:
    status, media, body = witness.post(HONEST.request(0, 10))
    assert (status, media) == (200, "text/plain; charset=utf-8")
    assert body == cosignature.cosign(HONEST.text(10), witness.identity.name, witness.identity.key, NOW)
    assert independent.verify(HONEST.text(10), body, witness.identity.verifier_key) == NOW
    assert witness.held() == TreeHead(10, HONEST.root(10))


def test_consistent_checkpoints_advance_the_witness(witness: Setup) -> None:
    cosign_at(witness, 0, 3)
    status, _, body = witness.post(HONEST.request(3, 17))
    assert status == 200
    # the response appended to the checkpoint is a note with both the log's signature and the cosignature
    assert cosignature.verify_cosignature(HONEST.checkpoint(17) + body, witness.identity.verifier_key) == NOW
    assert witness.held() == TreeHead(17, HONEST.root(17))


def test_the_same_checkpoint_again_is_cosigned_again(witness: Setup) -> None:
    cosign_at(witness, 0, 8)
    assert witness.post(HONEST.request(8, 8))[0] == 200
    assert witness.held() == TreeHead(8, HONEST.root(8))


def test_signatures_by_unknown_keys_are_ignored(witness: Setup) -> None:
    stranger = Ed25519PrivateKey.generate()
    line = note.sign_note(HONEST.text(5), "someone.else/key", stranger).split("\n\n")[1]
    assert witness.post(HONEST.request(0, 5) + line.encode())[0] == 200


# --- 400 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"old 01\n\n", "the first line must be 'old <size>' in decimal without leading zeroes, found 'old 01'"),
        (b"old 0\nno blank line", "no blank line between the proof and the checkpoint"),
        (b"old 0\nAAAA\n\n", "consistency proof line 1 is not the base64 of a 32-byte hash: 'AAAA'"),
        (b"old 0\n\nlog\n1\n", "malformed note: no blank line between the text and the signatures"),
        (b"\xff\n\n", "invalid UTF-8 at byte 0"),
    ],
)
def test_malformed_bodies_are_400(witness: Setup, body: bytes, why: str) -> None:
    assert witness.post(body) == (400, "text/plain; charset=utf-8", f"请求格式错误 malformed request: {why}\n")


def test_more_than_63_proof_lines_are_400(witness: Setup) -> None:
    body = HONEST.request(0, 5, proof=[bytes(32)] * 64)
    assert witness.post(body)[0:3:2] == (
        400,
        "请求格式错误 malformed request: 64 consistency proof lines, at most 63\n",
    )


def test_old_above_the_checkpoint_size_is_400(witness: Setup) -> None:
    status, _, body = witness.post(HONEST.request(0, 5).replace(b"old 0", b"old 6", 1))
    assert (status, body) == (400, "请求格式错误 malformed request: old size 6 is above the checkpoint's size 5\n")


# --- 404, 403 ---------------------------------------------------------------------------------------


def test_unknown_origin_is_404(witness: Setup) -> None:
    other = SyntheticLog(5)
    text = note.checkpoint_text("other.example/log", 5, other.root(5))
    body = b"old 0\n\n" + note.sign_note(text, "other.example/log", other.key).encode()
    assert witness.post(body)[0:3:2] == (
        404,
        "未知日志 unknown log: this witness is not configured for origin 'other.example/log'\n",
    )


def test_checkpoint_signed_by_another_key_under_the_logs_name_is_403(witness: Setup) -> None:
    impostor = SyntheticLog(5, key=Ed25519PrivateKey.generate())
    status, _, body = witness.post(impostor.request(0, 5))
    assert status == 403
    assert body.startswith(
        "签名无效 not signed by the log: note has no signature by a trusted key "
        f"(trusted: {LOG_VKEY.rsplit('+', 1)[0]}); "
        f"found signatures by: {ORIGIN}+"
    )
    assert witness.held() == NEVER_COSIGNED


def test_a_bad_signature_by_the_log_key_is_403(witness: Setup) -> None:
    forged = HONEST.checkpoint(5).replace(
        base64.b64encode(HONEST.root(5)).decode(), base64.b64encode(HONEST.root(6)).decode()
    )
    status, _, body = witness.post(b"old 0\n\n" + forged.encode())
    label = LOG_VKEY.rsplit("+", 1)[0]
    assert (status, body) == (
        403,
        f"签名无效 not signed by the log: signature by {label} does not verify over the note text\n",
    )


# --- 409 --------------------------------------------------------------------------------------------


def test_stale_old_size_is_409_with_the_witness_size(witness: Setup) -> None:
    cosign_at(witness, 0, 12)
    assert witness.post(HONEST.request(0, 20)) == (409, "text/x.tlog.size", "12\n")
    assert witness.post(HONEST.request(10, 20)) == (409, "text/x.tlog.size", "12\n")
    assert witness.held() == TreeHead(12, HONEST.root(12))


def test_old_size_ahead_of_the_witness_is_409(witness: Setup) -> None:
    assert witness.post(HONEST.request(5, 20)) == (409, "text/x.tlog.size", "0\n")


# --- Split views (acceptance 2): refused, state unchanged -------------------------------------------


def test_same_size_other_root_signed_by_the_log_key_is_refused_and_changes_nothing(witness: Setup) -> None:
    cosign_at(witness, 0, 30)
    before = witness.snapshot()
    assert witness.post(FORK.request(30, 30)) == (409, "text/x.tlog.size", "30\n")
    assert witness.snapshot() == before
    assert witness.held() == TreeHead(30, HONEST.root(30))


def test_checkpoint_inconsistent_with_the_cosigned_one_is_422_and_changes_nothing(witness: Setup) -> None:
    cosign_at(witness, 0, 25)
    before = witness.snapshot()
    # the fork's own proof from 25 to 35: valid in its history, not from the root the witness holds
    status, media, body = witness.post(FORK.request(25, 35))
    assert (status, media) == (422, "text/plain; charset=utf-8")
    assert body.startswith(
        "一致性证明无效 bad consistency proof: consistency proof does not verify: computed old root "
    )
    assert witness.snapshot() == before
    assert witness.held() == TreeHead(25, HONEST.root(25))


def test_a_wrong_proof_is_422(witness: Setup) -> None:
    cosign_at(witness, 0, 7)
    proof = HONEST.proof(7, 9)
    status, _, body = witness.post(HONEST.request(7, 9, proof=proof[:-1]))
    assert (status, body) == (
        422,
        "一致性证明无效 bad consistency proof: consistency proof has the wrong length: expected 5 hashes, found 4\n",
    )
    assert witness.held() == TreeHead(7, HONEST.root(7))


def test_a_proof_with_old_size_zero_must_be_empty(witness: Setup) -> None:
    status, _, body = witness.post(HONEST.request(0, 9, proof=[bytes(32)]))
    assert (status, body) == (
        422,
        "一致性证明无效 bad consistency proof: consistency proof has the wrong length: expected 0 hashes, found 1\n",
    )


def test_the_fork_is_cosigned_only_by_a_witness_that_never_saw_the_honest_branch(tmp_path: Path) -> None:
    # the control: the fork's request is well formed; only the witness's memory refuses it above
    with ExitStack() as stack:
        setup = Setup(tmp_path / "other", stack)
        assert setup.post(FORK.request(0, 25))[0] == 200
        assert setup.post(FORK.request(25, 35))[0] == 200
        assert setup.post(HONEST.request(35, 40))[0] == 422


def test_the_specs_example_request_parses_and_its_unknown_origin_is_404(witness: Setup) -> None:
    body = (
        "old 20852014\n"
        "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
        "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
        "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
        "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
        "\n"
        "example.com/behind-the-sofa\n"
        "20852163\n"
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        "\n"
        "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+"
        "zyWE+xeMcTOAYQ8=\n"
        "— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5"
        "Rovnzv++qbSzm9Q=\n"
    ).encode()
    submission = parse_submission(body)
    assert (submission.old, len(submission.proof), submission.checkpoint.size) == (20852014, 4, 20852163)
    assert witness.post(body)[0:3:2] == (
        404,
        "未知日志 unknown log: this witness is not configured for origin 'example.com/behind-the-sofa'\n",
    )


def test_a_log_rolling_its_key_over_is_trusted_under_each_configured_key(tmp_path: Path) -> None:
    new_key = Ed25519PrivateKey.generate()
    rolled = SyntheticLog(40, key=new_key)
    identity = init_state(tmp_path, "w.example/rollover")
    logs = trusted_logs([LOG_VKEY, note.verifier_key(ORIGIN, new_key.public_key())])
    app = create_witness_app(Witness(identity, logs, HeadStore(tmp_path), clock=lambda: NOW))
    with in_process_client(app) as client:
        assert client.post("/add-checkpoint", content=HONEST.request(0, 10)).status_code == 200
        answer = client.post("/add-checkpoint", content=rolled.request(10, 20))  # signed by the new key alone
        assert answer.status_code == 200
        assert independent.verify(rolled.text(20), answer.text, identity.verifier_key) == NOW


def test_a_body_over_64_kib_is_413(witness: Setup) -> None:
    assert witness.post(b"old 0\n" + b"A" * 65_536) == (
        413,
        "text/plain; charset=utf-8",
        "请求过大 request body over 65536 bytes\n",
    )


def test_an_empty_tree_checkpoint_needs_the_empty_root(witness: Setup) -> None:
    empty = note.sign_note(note.checkpoint_text(ORIGIN, 0, HONEST.root(0)), ORIGIN, HONEST.key)
    assert witness.post(b"old 0\n\n" + empty.encode())[0] == 200
    other = note.sign_note(note.checkpoint_text(ORIGIN, 0, HONEST.root(1)), ORIGIN, HONEST.key)
    assert witness.post(b"old 0\n\n" + other.encode()) == (409, "text/x.tlog.size", "0\n")
    assert witness.held() == NEVER_COSIGNED
