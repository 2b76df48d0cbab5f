"""Trust policies (docs/ledger-format.md §9): the parser refuses each kind of bad line naming it, and a
checkpoint passes only when a log key of the policy signed it and valid cosignatures meet the quorum."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.errors import VerificationError
from ledger.format import cosignature, note
from ledger.format.policy import (
    MAX_FUTURE_SECONDS,
    Policy,
    PolicyError,
    QuorumNotMet,
    check_checkpoint,
    parse_policy,
    read_policy,
)
from tests.witness.synthetic import LOG_KEY, LOG_VKEY, ORIGIN, SyntheticLog

NOW = 1_780_000_000
LOG = SyntheticLog(12)


def _key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


WITNESS_KEYS = {name: _key(f"policy tests: {name}") for name in ("a", "b", "c", "d")}
WKEY = {name: cosignature.verifier_key(f"{name}.witness.test", k.public_key()) for name, k in WITNESS_KEYS.items()}
SECOND_LOG_VKEY = note.verifier_key(ORIGIN, _key("policy tests: new log key").public_key())
HEAD = f"log {LOG_VKEY}\n" + "".join(f"witness {n} {WKEY[n]}\n" for n in "abcd")


def cosigned(*names: str, size: int = 12, timestamp: int = NOW) -> str:
    """The synthetic log's checkpoint at `size`, cosigned by the named witnesses."""
    text = LOG.text(size)
    lines = [cosignature.cosign(text, f"{n}.witness.test", WITNESS_KEYS[n], timestamp) for n in names]
    return LOG.checkpoint(size) + "".join(lines)


# --- Parsing ------------------------------------------------------------------------------------------


def test_a_policy_with_comments_urls_groups_and_a_rollover_parses() -> None:
    second = SECOND_LOG_VKEY
    policy = parse_policy(
        "# the province's policy\n"
        "\n"
        f"log {LOG_VKEY} https://log.example.org/packtrace\n"
        f"log {second}\n"
        f"  witness a {WKEY['a']} https://a.example.org/witness  \n"
        f"witness b\t{WKEY['b']}\n"
        f"witness c {WKEY['c']}\n"
        "group ab all a b\n"
        "group q 2 ab c\n"
        "quorum q\n"
    )
    assert [k.text for k in policy.logs] == [LOG_VKEY, second]
    assert policy.logs[0].url == "https://log.example.org/packtrace" and policy.logs[1].url is None
    assert list(policy.witnesses) == ["a", "b", "c"]
    assert policy.witnesses["a"].url == "https://a.example.org/witness"
    assert policy.groups["q"].threshold == 2 and policy.groups["ab"].threshold == 2
    assert policy.quorum == "q"
    assert policy.describe() == "q: 2 of (ab: all of (a, b), c)"


def test_quorum_none_needs_no_witness() -> None:
    policy = parse_policy(f"log {LOG_VKEY}\nquorum none\n")
    assert policy.quorum is None and policy.describe() == "none (no cosignature needed)"


BAD_KEY = "+".join([*LOG_VKEY.split("+")[:2], SECOND_LOG_VKEY.split("+", 2)[2]])  # another key under its key id


THRESHOLD = "line 6: group g: threshold must be all, any or a number from 1 to 2 (its members), found "


def label(vkey: str) -> str:
    return "+".join(vkey.split("+")[:2])


@pytest.mark.parametrize(
    ("lines", "why"),
    [
        (
            "wtness a b\n",
            "line 6: unknown keyword 'wtness' (expected log, witness, group or quorum, or # for a comment)",
        ),
        ("log\n", "line 6: 'log' takes a verifier key and an optional URL, found 0 values"),
        (f"log {LOG_VKEY} http://x y\n", "line 6: 'log' takes a verifier key and an optional URL, found 3 values"),
        (f"log {LOG_VKEY}\n", f"line 6: log key {label(LOG_VKEY)} is given twice"),
        (f"log {WKEY['a']}\n", "line 6: log: verifier key type must be 01 (Ed25519), found 04"),
        ("log nokey\n", "line 6: log: verifier key must be <name>+<key id>+<key>, found 1 fields"),
        (f"log {SECOND_LOG_VKEY} ftp://x\n", "line 6: URL must start with http:// or https://, found 'ftp://x'"),
        (
            f"witness e {LOG_VKEY}\n",
            "line 6: witness e: verifier key type must be 04 (Ed25519 cosignature/v1), found 01",
        ),
        (f"witness a {WKEY['a']}\n", "line 6: name a is already defined"),
        (f"witness e {WKEY['a']}\n", "line 6: witness e has the key of witness a"),
        (
            f"witness none {WKEY['a']}\n",
            "line 6: name 'none' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, "
            "and not none, all or any",
        ),
        (
            f"witness -x {WKEY['a']}\n",
            "line 6: name '-x' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, "
            "and not none, all or any",
        ),
        (
            "witness e\n",
            "line 6: 'witness' takes a name, a cosignature verifier key and an optional URL, found 1 values",
        ),
        (
            "group g 1\n",
            "line 6: 'group' takes a name, a threshold (a number, all or any) and at least one member, found 2 values",
        ),
        ("group g 1 a zz\n", "line 6: group g: member 'zz' is not a witness or group defined above"),
        ("group g 1 a a\n", "line 6: group g: member a is listed twice"),
        ("group g 3 a b\n", THRESHOLD + "'3'"),
        ("group g 0 a b\n", THRESHOLD + "'0'"),
        ("group g 01 a b\n", THRESHOLD + "'01'"),
        ("group g most a b\n", THRESHOLD + "'most'"),
        ("group g any g\n", "line 6: group g: member 'g' is not a witness or group defined above"),
        ("quorum\n", "line 6: 'quorum' takes one name (a witness, a group or none), found 0"),
        ("quorum zz\n", "line 6: quorum 'zz' is not none or a witness or group defined above"),
        ("quorum a\nquorum b\n", "line 7: a second quorum line (the first is line 6)"),
        ("quorum a\r\n", "line 6: control character U+000D"),
    ],
)
def test_each_kind_of_bad_line_is_refused_naming_its_line(lines: str, why: str) -> None:
    text = HEAD + lines + ("" if "quorum" in lines else "quorum a\n")
    with pytest.raises(PolicyError) as refused:
        parse_policy(text)
    assert refused.value.message == f"policy {why}"


def test_a_bad_log_key_is_refused_with_the_key_problem() -> None:
    with pytest.raises(PolicyError, match=r"^policy line 1: log: verifier key id does not match its key"):
        parse_policy(f"log {BAD_KEY}\nquorum none\n")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (f"witness a {WKEY['a']}\nquorum a\n", "policy: no 'log' line: a policy names at least one log key"),
        (
            f"log {LOG_VKEY}\n",
            "policy: no 'quorum' line: say which witness or group must cosign, or 'quorum none'",
        ),
        ("", "policy: no 'log' line: a policy names at least one log key"),
    ],
)
def test_a_policy_without_a_log_or_a_quorum_is_refused(text: str, why: str) -> None:
    with pytest.raises(PolicyError) as refused:
        parse_policy(text)
    assert refused.value.message == why


def test_reading_a_file_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.txt"
    path.write_text(f"# x\nlog {LOG_VKEY}\nquorum nobody\n")
    with pytest.raises(PolicyError) as refused:
        read_policy(path)
    assert refused.value.message == f"{path} line 3: quorum 'nobody' is not none or a witness or group defined above"
    assert refused.value.line == 3
    path.write_bytes(b"log \xff\n")
    with pytest.raises(PolicyError, match=r"policy.txt: not UTF-8 text \(invalid byte at offset 4\)$"):
        read_policy(path)
    with pytest.raises(PolicyError, match=r"missing: cannot be read: No such file or directory$"):
        read_policy(tmp_path / "missing")


# --- Quorum evaluation --------------------------------------------------------------------------------


def _policy(tail: str) -> Policy:
    return parse_policy(HEAD + tail)


@pytest.mark.parametrize(
    ("tail", "passing", "failing"),
    [
        ("quorum a\n", [{"a"}, {"a", "b"}], [set(), {"b", "c", "d"}]),
        ("quorum none\n", [set(), {"a"}], []),
        ("group g 2 a b c\nquorum g\n", [{"a", "b"}, {"b", "c"}, {"a", "b", "c"}], [{"a"}, {"c", "d"}]),
        ("group g all a b\nquorum g\n", [{"a", "b"}], [{"a"}, {"b", "c", "d"}]),
        ("group g any a b\nquorum g\n", [{"a"}, {"b"}], [set(), {"c", "d"}]),
        # nested: a and b both, or any two of c, d and the pair
        (
            "group ab all a b\ngroup q 2 ab c d\nquorum q\n",
            [{"a", "b", "c"}, {"c", "d"}, {"a", "b", "d"}],
            [{"a", "b"}, {"a", "c"}, {"b", "d"}],
        ),
    ],
)
def test_quorum_k_of_n_nested_and_none(tail: str, passing: list[set[str]], failing: list[set[str]]) -> None:
    policy = _policy(tail)
    for cosigners in passing:
        assert policy.satisfied(cosigners), cosigners
    for cosigners in failing:
        assert not policy.satisfied(cosigners), cosigners


def test_a_checkpoint_meeting_the_quorum_passes_naming_its_cosigners() -> None:
    policy = _policy("group g 2 a b c\nquorum g\n")
    accepted = check_checkpoint(cosigned("c", "a"), policy, now=NOW)
    assert accepted.checkpoint == note.parse_checkpoint(LOG.text(12))
    assert accepted.log_key.text == LOG_VKEY
    assert accepted.cosigned == {"a": NOW, "c": NOW}
    assert accepted.summary() == "cosigned by a, c; quorum g: 2 of (a, b, c)"


def test_without_the_quorum_the_refusal_names_who_cosigned_and_what_is_needed() -> None:
    policy = _policy("group g 2 a b c\nquorum g\n")
    with pytest.raises(QuorumNotMet) as refused:
        check_checkpoint(cosigned("b", "d"), policy, now=NOW)
    assert refused.value.message == (
        f"checkpoint {ORIGIN} at size 12 does not meet the policy's quorum g: 2 of (a, b, c); "
        "cosigned by: b, d; not cosigned by: a, c"
    )


def test_a_bad_cosignature_is_not_counted_and_is_named() -> None:
    policy = _policy("quorum a\n")
    other = cosignature.cosign(LOG.text(11), "a.witness.test", WITNESS_KEYS["a"], NOW)  # over another checkpoint
    with pytest.raises(QuorumNotMet) as refused:
        check_checkpoint(LOG.checkpoint(12) + other, policy, now=NOW)
    assert refused.value.message == (
        f"checkpoint {ORIGIN} at size 12 does not meet the policy's quorum a; cosigned by: none; "
        f"not cosigned by: a, b, c, d; not counted: a: cosignature by {label(WKEY['a'])} does not verify over the "
        f"checkpoint at time {NOW}"
    )


def test_a_cosignature_more_than_the_margin_in_the_future_is_not_counted() -> None:
    policy = _policy("quorum a\n")
    assert check_checkpoint(cosigned("a", timestamp=NOW + MAX_FUTURE_SECONDS), policy, now=NOW).cosigned == {
        "a": NOW + MAX_FUTURE_SECONDS
    }
    late = NOW + MAX_FUTURE_SECONDS + 1
    with pytest.raises(QuorumNotMet, match=rf"not counted: a: cosignature dated {late}, more than 600 s after now"):
        check_checkpoint(cosigned("a", timestamp=late), policy, now=NOW)


def test_a_checkpoint_not_signed_by_a_log_key_of_the_policy_is_refused() -> None:
    impostor = SyntheticLog(12, key=_key("policy tests: impostor"))
    policy = _policy("quorum none\n")
    with pytest.raises(VerificationError, match=r"^note has no signature by a trusted key"):
        check_checkpoint(impostor.checkpoint(12), policy, now=NOW)


def test_the_origin_must_be_the_signing_key_name() -> None:
    other_name = "other.example/log"
    key = note.verifier_key(other_name, LOG_KEY.public_key())
    signed = note.sign_note(LOG.text(12), other_name, LOG_KEY)
    policy = parse_policy(f"log {key}\nquorum none\n")
    with pytest.raises(VerificationError) as refused:
        check_checkpoint(signed, policy, now=NOW)
    assert refused.value.message == (
        f"checkpoint origin {ORIGIN!r} is not the name of the log key that signed it ({label(key)})"
    )
