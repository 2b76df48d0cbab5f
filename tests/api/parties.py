"""Test parties: one organisation per role, each with a token and a registered Ed25519 key."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.orgs import Org, Role
from events.vin import vin_with_check_digit
from ledger.format.claims import make_signed_claim
from ledger.log import Ledger
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from tests.support import T0, public_b64

ADMIN_TOKEN = "admin-token-for-tests-0123456789"
VIN = vin_with_check_digit("LSVAU2180N2183294")
OTHER_VIN = vin_with_check_digit("LFV2A21K0G3000001")


@dataclass
class Party:
    id: str
    token: str
    key_id: str
    private: Ed25519PrivateKey

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def claim(
        self,
        pack: str,
        type: str,
        data: dict[str, Any],
        *,
        at: datetime = T0,
        prev: str | None = None,
        claim_id: str | None = None,
    ) -> dict[str, Any]:
        """The request body of POST /v1/events: a claim of this party and its signature."""
        claim, sig = make_signed_claim(
            self.private,
            pack=pack,
            type=type,
            actor=self.id,
            key=self.key_id,
            data=data,
            at=at,
            prev=prev,
            claim_id=claim_id or str(uuid.uuid4()),
        )
        return {"claim": claim, "sig": sig}


def org_id_of(role: Role) -> str:
    return role.value.replace("_", "-")


def party_org(role: Role) -> Org:
    """The organisation of the party of `role`: 'The <role>', the codes its role needs, a recycler on the
    whitelist."""
    codes = {Role.MANUFACTURER: ["001"], Role.SECOND_LIFE: ["S2L"], Role.IMPORTER: ["0XM"]}.get(role, [])
    return Org(
        org_id_of(role), f"The {role.value}", frozenset({role}), frozenset(codes), whitelisted=role is Role.RECYCLER
    )


def make_party(ledger: Ledger, role: Role) -> Party:
    return make_parties(ledger, [role])[role]


def make_parties(ledger: Ledger, roles: Iterable[Role] = Role) -> dict[Role, Party]:
    """A party per role, registered by the administrator with its first key `<org>/1` in one registry
    transaction (2 log entries a party)."""
    made = [(role, party_org(role), Ed25519PrivateKey.generate()) for role in roles]
    tokens = orgkeys.register_many(ledger, ADMIN, [(org, [(f"{org.id}/1", raw_public(key))]) for _, org, key in made])
    return {role: Party(org.id, tokens[org.id], f"{org.id}/1", key) for role, org, key in made}


def raw_public(private: Ed25519PrivateKey) -> bytes:
    return base64.b64decode(public_b64(private))
