"""The offline bundle: what it holds, and one known-bad bundle per attack."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.errors import VerificationError
from ledger import note
from ledger.bundle import make_bundle, verify_bundle
from ledger.log import Ledger
from tests import specverify
from tests.support import PRODUCED, Actor, code


@pytest.fixture
def bundle(ledger: Ledger, actors: dict[str, Actor]) -> dict[str, Any]:
    maker, automaker = actors["catl"], actors["byd-auto"]
    for n in range(1, 4):
        ledger.append_one(*maker.claim(code(n), "produced", PRODUCED))
    ledger.append_one(*maker.claim(code(2), "shipped", {"to": "byd-auto"}))
    ledger.append_one(*automaker.claim(code(2), "received", {"from": "catl"}))
    ledger.append_one(*maker.claim(code(3), "shipped", {"to": "byd-auto"}))
    return make_bundle(ledger, code(2))


def test_bundle_holds_the_chain_keys_proof_and_checkpoint(ledger: Ledger, bundle: dict[str, Any]) -> None:
    assert [e["seq"] for e in bundle["entries"]] == [0, 1, 2]
    assert [k["key_id"] for k in bundle["keys"]] == ["byd-auto/1", "catl/1"]
    assert bundle["proof"]["index"] == 4 and bundle["proof"]["tree_size"] == 6
    summary = verify_bundle(bundle, ledger.signer.verifier_key)
    assert (summary.pack, summary.entries, summary.tree_size) == (code(2), 3, 6)
    # the same bundle checks with the independent verifier written from the specs
    checkpoint = specverify.verify_checkpoint(bundle["checkpoint"], ledger.signer.verifier_key)
    last = specverify.entry_bytes(bundle["entries"][-1])
    specverify.verify_inclusion(last, 4, 6, bundle["proof"]["hashes"], checkpoint.root)


def _resign(b: dict[str, Any]) -> None:
    body = b["checkpoint"].split("\n\n")[0] + "\n"
    b["checkpoint"] = note.sign_note(body, "packtrace.test/log", Ed25519PrivateKey.generate())


def _drop_middle(b: dict[str, Any]) -> None:
    del b["entries"][1]


def _swap(b: dict[str, Any]) -> None:
    b["entries"][0], b["entries"][1] = b["entries"][1], b["entries"][0]


def _edit(b: dict[str, Any]) -> None:
    b["entries"][1]["claim"]["data"]["to"] = "nio-swap"


def _proof(b: dict[str, Any]) -> None:
    b["proof"]["hashes"][0] = "00" * 32


def _key(b: dict[str, Any]) -> None:
    b["keys"][1]["public_key"] = base64.b64encode(b"\x01" * 32).decode()


def _recorded_before_key(b: dict[str, Any]) -> None:
    b["keys"][1]["valid_from"] = "2030-01-01T00:00:00.000000Z"


def _truncate(b: dict[str, Any]) -> None:
    del b["entries"][-1]


ATTACKS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "checkpoint signed by another key": (_resign, "no signature by"),
    "middle entry removed": (_drop_middle, "entry seq 1 (index 4): expected seq 1, found 2"),
    "entries swapped": (_swap, "entry seq 0 (index 3): expected seq 0, found 1"),
    "event edited": (_edit, "entry seq 1 (index 3): signature does not verify with key 'catl/1'"),
    "proof hash changed": (_proof, "inclusion proof does not verify"),
    "key replaced": (_key, "signature does not verify with key 'catl/1'"),
    "key not yet valid": (_recorded_before_key, "key 'catl/1' was not valid at"),
    "last entry removed": (_truncate, "proof is for index 4, the last entry is 3"),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_altered_bundle_is_refused(ledger: Ledger, bundle: dict[str, Any], name: str) -> None:
    attack, message = ATTACKS[name]
    bad = copy.deepcopy(bundle)
    attack(bad)
    with pytest.raises(VerificationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        verify_bundle(bad, ledger.signer.verifier_key)


def test_a_bundle_checked_against_another_log_key_is_refused(bundle: dict[str, Any]) -> None:
    other = note.verifier_key("packtrace.test/log", Ed25519PrivateKey.generate().public_key())
    with pytest.raises(VerificationError, match="no signature by"):
        verify_bundle(bundle, other)
