"""Steps of features/signature_rule.feature: signatures made with a chosen nonce (the curve arithmetic of
ledger.format.edwards), checked by each library alone, by packtrace's verifier and by the ledger."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from events.errors import InvalidClaim
from ledger.append.outcome import BatchRejected
from ledger.format import ed25519, edwards
from ledger.format.canonical import canonical
from ledger.format.claims import new_claim
from ledger.log import Ledger
from tests.support import PRODUCED, T0, Actor, code

scenarios("signature_rule.feature")


@pytest.fixture
def signed() -> dict[str, Any]:
    return {}


def _secret_scalar(actor: Actor) -> int:
    """The signing scalar of an Ed25519 key (RFC 8032 §5.1.5): the clamped first half of SHA-512(seed)."""
    digest = bytearray(hashlib.sha512(actor.private.private_bytes_raw()).digest()[:32])
    digest[0] &= 248
    digest[31] &= 127
    digest[31] |= 64
    return int.from_bytes(digest, "little")


def _claim(ledger: Ledger, actor: Actor, n: int) -> dict[str, Any]:
    return new_claim(pack=code(n), type="produced", actor=actor.id, key=actor.key_id, data=PRODUCED, at=T0)


@given(
    parsers.parse(
        '"{maker}" signs a produced claim for pack {n:d} choosing the nonce 0, so that R is the identity point'
    )
)
def identity_r(ledger: Ledger, actors: dict[str, Actor], signed: dict[str, Any], maker: str, n: int) -> None:
    actor = actors[maker]
    claim = _claim(ledger, actor, n)
    public = actor.private.public_key().public_bytes_raw()
    r = (1).to_bytes(32, "little")  # the encoding of the identity, [0]B
    k = int.from_bytes(hashlib.sha512(r + public + canonical(claim)).digest(), "little") % edwards.L
    s = k * _secret_scalar(actor) % edwards.L
    signed.update(actor=actor, claim=claim, public=public, signature=r + s.to_bytes(32, "little"))


@given(parsers.parse('"{maker}" signs a produced claim for pack {n:d} and adds the group order L to its S'))
def s_plus_l(ledger: Ledger, actors: dict[str, Actor], signed: dict[str, Any], maker: str, n: int) -> None:
    actor = actors[maker]
    claim = _claim(ledger, actor, n)
    good = actor.private.sign(canonical(claim))
    s = int.from_bytes(good[32:], "little") + edwards.L
    signed.update(
        actor=actor,
        claim=claim,
        public=actor.private.public_key().public_bytes_raw(),
        signature=good[:32] + s.to_bytes(32, "little"),
    )


def _says(verify: ed25519.Verify, signed: dict[str, Any]) -> str:
    return "accepts" if verify(signed["public"], signed["signature"], canonical(signed["claim"])) else "refuses"


@then(parsers.parse("OpenSSL alone {openssl} the signature and libsodium alone {sodium} it"))
def libraries_alone(signed: dict[str, Any], openssl: str, sodium: str) -> None:
    assert _says(ed25519.LIBRARIES["cryptography"], signed) == openssl
    assert _says(ed25519.LIBRARIES["libsodium"], signed) == sodium


@then("packtrace's verifier refuses it over either library")
def rule_refuses(signed: dict[str, Any]) -> None:
    assert {library: _says(ed25519.verifier(library), signed) for library in ("cryptography", "libsodium")} == {
        "cryptography": "refuses",
        "libsodium": "refuses",
    }


@when(parsers.parse('"{maker}" posts the claim {how}'))
def post(ledger: Ledger, signed: dict[str, Any], maker: str, how: str) -> None:
    sig = base64.b64encode(signed["signature"]).decode()
    signed["size"] = ledger.size()
    if how == "alone":
        with pytest.raises(InvalidClaim) as refused:
            ledger.append_one(signed["claim"], sig)
        signed["refusal"] = refused.value.message
        return
    actor: Actor = signed["actor"]
    good = [actor.claim(code(1000 + n), "produced", PRODUCED) for n in range(100)]
    with pytest.raises(BatchRejected) as rejected:
        ledger.append([*good[:50], (signed["claim"], sig), *good[50:]])  # large enough for the worker process
    ((position, error),) = rejected.value.errors
    assert position == 50
    signed["refusal"] = error.message


@then(parsers.parse("the ledger refuses it as a signature that does not verify with key '{key}', naming the claim"))
def refused(signed: dict[str, Any], key: str) -> None:
    assert signed["refusal"] == f"signature of claim {signed['claim']['id']} does not verify with key '{key}'"


@then("the log has not grown")
def not_grown(ledger: Ledger, signed: dict[str, Any]) -> None:
    assert ledger.size() == signed["size"]
