"""Test helpers: a small province of organisations with keys, and claim signing."""

from __future__ import annotations

import base64
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from events.codes import make_code
from events.orgs import Org, Role
from events.registry import new_registry_claim, org_subject
from ledger.format.claims import make_signed_claim, sign_claim
from ledger.log import Ledger
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN

T0 = datetime(2026, 3, 2, 1, 0, 0, tzinfo=UTC)


class Clock:
    """A clock that moves one second on every reading, so recorded_at grows and tests repeat."""

    def __init__(self, start: datetime = T0 + timedelta(days=1)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class Actor:
    org: Org
    key_id: str
    private: Ed25519PrivateKey
    token: str = ""
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def id(self) -> str:
        return self.org.id

    def claim(
        self,
        pack: str,
        type: str,
        data: dict[str, Any],
        *,
        at: datetime | None = None,
        prev: str | None = None,
        claim_id: str | None = None,
    ) -> tuple[dict[str, Any], str]:
        return make_signed_claim(
            self.private,
            pack=pack,
            type=type,
            actor=self.id,
            key=self.key_id,
            data=data,
            at=at or T0,
            prev=prev,
            claim_id=claim_id or str(uuid.uuid4()),
        )

    def registry_claim(
        self, type: str, data: dict[str, Any], *, subject: str | None = None, at: datetime | None = None
    ) -> tuple[dict[str, Any], str]:
        """A registry claim authorised by this actor's signature (by default about its own organisation),
        with its signature: what `orgkeys.submit` (`POST /v1/registry`) takes."""
        claim = new_registry_claim(
            subject=subject or org_subject(self.id), type=type, by="signature", actor=self.id, key=self.key_id,
            data=data, at=at or T0,
        )  # fmt: skip
        return claim, sign_claim(claim, self.private)


def public_b64(private: Ed25519PrivateKey) -> str:
    return base64.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def add_actors(ledger: Ledger, orgs: list[Org]) -> dict[str, Actor]:
    """Register organisations with one key each, in one registry transaction (the administrator's)."""
    privates = {org.id: Ed25519PrivateKey.generate() for org in orgs}
    first = [(org, [(f"{org.id}/1", base64.b64decode(public_b64(privates[org.id])))]) for org in orgs]
    tokens = orgkeys.register_many(ledger, ADMIN, first)
    return {org.id: Actor(org, f"{org.id}/1", privates[org.id], tokens[org.id]) for org in orgs}


def add_actor(ledger: Ledger, org: Org) -> Actor:
    return add_actors(ledger, [org])[org.id]


def province(ledger: Ledger) -> dict[str, Actor]:
    """One organisation of each kind the lifecycle tests need."""
    orgs = [
        Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001", "0RJ"})),
        Org("byd-auto", "比亚迪汽车", frozenset({Role.AUTOMAKER})),
        Org("nio-swap", "蔚来换电", frozenset({Role.SWAP_OPERATOR})),
        Org("fz-service", "福州维修", frozenset({Role.SERVICE})),
        Org("xm-collect", "厦门回收网点", frozenset({Role.COLLECTOR})),
        Org("s2l-energy", "梯次储能", frozenset({Role.SECOND_LIFE}), frozenset({"S2L"})),
        Org("gem-recycling", "格林美", frozenset({Role.RECYCLER}), whitelisted=True),
        Org("grey-recycling", "小作坊", frozenset({Role.RECYCLER}), whitelisted=False),
        Org("fj-miit", "福建省工信厅", frozenset({Role.REGULATOR})),
    ]
    return add_actors(ledger, orgs)


def code(serial: int, *, maker: str = "001", day: date = date(2026, 1, 15)) -> str:
    return make_code(maker, "pack", "B", "12", "ABCDEFG", day, serial)


PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}


def regulator_caller() -> Any:
    """A caller of the regulator role, for service-level tests of the regulator's reports."""
    from ledger.usecases.access import Caller

    return Caller(org=Org("fj-miit", "福建省工信厅", frozenset({Role.REGULATOR})))


def platform_database() -> None:
    """Make the database and key files the PACKTRACE_* settings name, as a platform's first start does (the
    CLI's commands other than `orgs create`, `migrate`, `serve` and `demo` refuse a database that is not there)."""
    from api.bootstrap import build_ledger
    from api.settings import Settings

    ledger = build_ledger(Settings())
    ledger.close()
    ledger.engine.dispose()
