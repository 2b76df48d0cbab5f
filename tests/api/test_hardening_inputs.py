"""Issue 11, items 3 (validation), 5 and 10 (input edges): every string that reaches storage is checked
before SQL, weak public keys are refused, and each input edge has a 422 (or 409) with a stable code. The
tests run on the backend the suite runs on; on PostgreSQL the NUL cases answered 500 before the fix."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from events.orgs import Role
from ledger.format.claims import sign_claim
from tests.api.inprocess import in_process_client
from tests.api.parties import Party, public_b64
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code, in_vehicle, produced
from tests.api.test_cli import env, run  # noqa: F401 -- the CLI's fixture

NUL = "a\x00b"


@dataclass
class Ctx:
    client: httpx.Client
    web: httpx.Client  # logged in to the web pages as the regulator
    parties: dict[Role, Party]
    admin: dict[str, str]

    @property
    def maker(self) -> Party:
        return self.parties[Role.MANUFACTURER]

    @property
    def regulator(self) -> Party:
        return self.parties[Role.REGULATOR]

    def claim(self, pack: str | None = None, type: str = "shipped", data: Any = None, **changes: Any) -> dict[str, Any]:
        """A claim of the maker, changed and then signed (so only the change is wrong)."""
        body = self.maker.claim(pack or code(1), type, {"to": "recycler"} if data is None else data)
        claim = {**body["claim"], **changes}
        return {"claim": claim, "sig": sign_claim(claim, self.maker.private)}

    def unsigned(self, **changes: Any) -> dict[str, Any]:
        """A claim with a placeholder signature: text no signer can encode is refused before the signature."""
        body = self.maker.claim(code(1), "shipped", {"to": "recycler"})
        return {"claim": {**body["claim"], **changes}, "sig": base64.b64encode(bytes(64)).decode()}

    def post_event(self, body: dict[str, Any]) -> httpx.Response:
        headers = {**self.maker.auth, "content-type": "application/json"}
        return self.client.post("/v1/events", content=json.dumps(body), headers=headers)  # \u escapes, as sent

    def new_org(self, **changes: Any) -> httpx.Response:
        body = {"id": "acme", "name": "Acme", "roles": ["dealer"], **changes}
        return self.client.post("/v1/orgs", json=body, headers=self.admin)

    def add_key(self, org: str, key_id: str, public_key: str | None = None) -> httpx.Response:
        public = public_key or public_b64(Ed25519PrivateKey.generate())
        return self.client.post(
            f"/v1/orgs/{org}/keys", json={"key_id": key_id, "public_key": public}, headers=self.admin
        )

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.regulator.auth)


@pytest.fixture
def ctx(app: FastAPI, client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str]) -> Iterator[Ctx]:
    in_vehicle(client, parties, 1)
    produced(client, parties, 2)
    with in_process_client(app) as web:
        assert web.post("/login", data={"token": parties[Role.REGULATOR].token, "next": ""}).status_code == 303
        yield Ctx(client, web, parties, admin)


# -- item 3: no refused character reaches SQL -------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    id: str
    request: Callable[[Ctx], httpx.Response]
    code: str
    detail: str | None = None


def _batch(c: Ctx) -> httpx.Response:
    events = [c.claim(pack=code(2)), c.claim(key=NUL)]
    return c.client.post("/v1/events/batch", json={"events": events}, headers=c.maker.auth)


REFUSED = [
    Bad("claim pack", lambda c: c.post_event(c.claim(pack=NUL)), "invalid_character",
        "claim.pack holds U+0000 (a control character) at position 1"),
    Bad("claim key", lambda c: c.post_event(c.claim(key=NUL)), "invalid_character",
        "claim.key holds U+0000 (a control character) at position 1"),
    Bad("claim actor", lambda c: c.post_event(c.claim(actor=NUL)), "invalid_character",
        "claim.actor holds U+0000 (a control character) at position 1"),
    Bad("claim type", lambda c: c.post_event(c.claim(type="shipped\x00")), "invalid_character",
        "claim.type holds U+0000 (a control character) at position 7"),
    Bad("claim key with a DEL", lambda c: c.post_event(c.claim(key="manufacturer/\x7f")), "invalid_character",
        "claim.key holds U+007F (a control character) at position 13"),
    Bad("claim key with a lone surrogate", lambda c: c.post_event(c.unsigned(key="manufacturer/\ud800")),
        "invalid_character", "claim.key holds U+D800 (a lone surrogate) at position 13"),
    Bad("string in data", lambda c: c.post_event(c.claim(code(2), data={"to": "recycler", "waybill": "SF\x00"})),
        "invalid_character", "claim.data.waybill holds U+0000 (a control character) at position 2"),
    Bad("C1 control in data", lambda c: c.post_event(c.claim(code(2), data={"to": "recycler", "waybill": "SF\x85"})),
        "invalid_character", "claim.data.waybill holds U+0085 (a control character) at position 2"),
    Bad("member name in data", lambda c: c.post_event(c.claim(code(2), data={"to": "recycler", "w\x00": "x"})),
        "invalid_character", "claim.data has a member name holding U+0000 (a control character) at position 1"),
    Bad("nested string in data", lambda c: c.post_event(
        c.claim(code(2), "corrected", {"target": "0" * 64, "reason": "typo", "fields": {"a": [{"b": "\x00"}]}})),
        "invalid_character", "claim.data.fields.a.0.b holds U+0000 (a control character) at position 0"),
    Bad("batch item key", _batch, "batch_rejected",
        "1 item(s) rejected, nothing was recorded: #1: claim.key holds U+0000 (a control character) at position 1"),
    Bad("key id", lambda c: c.add_key("manufacturer", f"manufacturer/{NUL}"), "invalid_character",
        "key_id holds U+0000 (a control character) at position 14"),
    Bad("key id with a tab", lambda c: c.add_key("manufacturer", "manufacturer/a\tb"), "invalid_character",
        "key_id holds U+0009 (a control character) at position 14"),
    Bad("organisation of a new key", lambda c: c.add_key("a%00b", "a\x00b/1"), "invalid_request"),
    Bad("key id to revoke", lambda c: c.client.delete("/v1/orgs/manufacturer/keys/manufacturer%2Fa%00b",
                                                      headers=c.admin), "invalid_request"),
    Bad("org id", lambda c: c.new_org(id=NUL), "invalid_input", "organisation id 'a\\x00b' must be 2-63 characters "
        "of lower-case letters, digits and '-', starting with a letter or digit"),
    Bad("org name", lambda c: c.new_org(name=NUL), "invalid_character",
        "the name of organisation 'acme' holds U+0000 (a control character) at position 1"),
    Bad("org name with a line break", lambda c: c.new_org(name="Acme\nInc"), "invalid_character",
        "the name of organisation 'acme' holds U+000A (a control character) at position 4"),
    Bad("packs by manufacturer", lambda c: c.get("/v1/packs", manufacturer=NUL), "invalid_filter",
        "manufacturer 'a\\x00b' holds U+0000 (a control character) at position 1"),
    Bad("packs by batch", lambda c: c.get("/v1/packs", batch=NUL), "invalid_filter",
        "batch 'a\\x00b' holds U+0000 (a control character) at position 1"),
    Bad("packs by custodian", lambda c: c.get("/v1/packs", custodian=NUL), "invalid_filter",
        "custodian 'a\\x00b' is not an organisation id"),
    Bad("recall by manufacturer", lambda c: c.get("/v1/reports/recall", manufacturer=NUL), "invalid_filter",
        "manufacturer 'a\\x00b' holds U+0000 (a control character) at position 1"),
    Bad("recall CSV by manufacturer", lambda c: c.get("/v1/reports/recall", manufacturer=NUL, format="csv"),
        "invalid_filter", "manufacturer 'a\\x00b' holds U+0000 (a control character) at position 1"),
    Bad("compliance by org", lambda c: c.get("/v1/reports/compliance", org=NUL), "invalid_filter",
        "org 'a\\x00b' is not an organisation id"),
    Bad("compliance CSV by org", lambda c: c.get("/v1/reports/compliance", org=NUL, format="csv"), "invalid_filter",
        "org 'a\\x00b' is not an organisation id"),
]  # fmt: skip


def _log_size(c: Ctx) -> int:
    size: int = c.client.get("/healthz").json()["log_size"]
    return size


@pytest.mark.parametrize("bad", REFUSED, ids=[b.id for b in REFUSED])
def test_item3_control_characters_are_refused_before_sql(ctx: Ctx, bad: Bad) -> None:
    size = _log_size(ctx)
    response = bad.request(ctx)
    if bad.code == "invalid_request":  # the framework's own check of a path or body constraint
        assert_problem(response, 422, "invalid_request")
    else:
        assert_problem(response, 422, bad.code, bad.detail)
    assert _log_size(ctx) == size


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("/regulator/recall", {"manufacturer": NUL}),
        ("/regulator/recall.csv", {"manufacturer": NUL}),
        ("/regulator/compliance", {"org": NUL}),
        ("/regulator/compliance.csv", {"org": NUL}),
    ],
)
def test_item3_web_report_filters_refuse_control_characters(ctx: Ctx, page: str, params: dict[str, str]) -> None:
    response = ctx.web.get(page, params=params)
    assert response.status_code == 422, response.text[:300]


def test_item3_free_text_in_a_payload_keeps_its_line_breaks(ctx: Ctx) -> None:
    body = ctx.claim(code(2), "incident", {"kind": "collision", "severity": "low", "description": "dented\r\n\tcase"})
    response = ctx.post_event(body)
    assert response.status_code == 201, response.text


# -- item 5: weak public keys --------------------------------------------------------------------------------

# RFC 8032 §5.1: the curve -x^2 + y^2 = 1 + d x^2 y^2 over GF(p), encoded as y (255 bits, little-endian)
# with the low bit of x in the top bit. Its points of small order are derived here from the equation alone.
P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P


def _sqrt(n: int) -> int | None:
    """A square root mod p (p = 5 mod 8, RFC 8032 §5.1.1), or None."""
    n %= P
    root = pow(n, (P + 3) // 8, P)
    if root * root % P != n:
        root = root * pow(2, (P - 1) // 4, P) % P
    return root if root * root % P == n else None


def _encode(x: int, y: int, sign: int | None = None) -> bytes:
    return (y | ((x & 1 if sign is None else sign) << 255)).to_bytes(32, "little")


def torsion_points() -> list[tuple[int, int]]:
    """The 8 points of order dividing 8: (0, 1); (0, -1); y = 0, x^2 = -1; and the points P with 2P of
    order 4, i.e. (doubling: y(2P) = (x^2 + y^2) / (2 + x^2 - y^2)) y^2 = -x^2 and, on the curve,
    d x^4 - 2 x^2 - 1 = 0, so x^2 = (1 ± sqrt(1 + d)) / d."""
    i = _sqrt(P - 1)
    assert i is not None
    points = [(0, 1), (0, P - 1), (i, 0), (P - i, 0)]
    root = _sqrt(1 + D)
    assert root is not None
    for x2 in ((1 + root) * pow(D, P - 2, P) % P, (1 - root) * pow(D, P - 2, P) % P):
        x, y = _sqrt(x2), _sqrt(-x2)
        if x is None or y is None:
            continue
        points += [(x, y), (P - x, y), (x, P - y), (P - x, P - y)]
    for x, y in points:
        assert (-x * x + y * y - 1 - D * x * x * y * y) % P == 0
    assert len(set(points)) == 8
    return points


def weak_encodings() -> dict[str, bytes]:
    """Each spelling of a torsion point, by a readable name: the 8 canonical encodings, and the
    non-canonical ones (x = 0 with the sign bit set; y + p in place of y, with either sign bit)."""
    found: dict[bytes, str] = {}
    for x, y in torsion_points():
        found.setdefault(_encode(x, y), f"x={x % 1000} y={y % 1000}")
        if x == 0:
            found.setdefault(_encode(x, y, sign=1), f"x=-0 y={y % 1000}")
        if y + P < 2**255:
            for sign in (0, 1):
                found.setdefault(_encode(x, y + P, sign=sign), f"y={y}+p sign {sign}")
    return {name: raw for raw, name in found.items()}


WEAK = weak_encodings()


def test_item5_the_spec_gives_eight_torsion_points_and_their_other_spellings() -> None:
    assert bytes(32) in WEAK.values() and (1).to_bytes(32, "little") in WEAK.values()
    assert len(WEAK) == 8 + 2 + 4  # 8 points; x = -0 for y = 1 and y = -1; y + p for y = 0 and y = 1, either sign


@pytest.mark.parametrize("raw", list(WEAK.values()), ids=list(WEAK))
def test_item5_weak_key_refused(ctx: Ctx, raw: bytes) -> None:
    response = ctx.add_key("manufacturer", "manufacturer/weak", base64.b64encode(raw).decode())
    body = assert_problem(response, 422, "weak_key")
    assert body["detail"].startswith("public_key is a ")


def test_item5_a_key_with_a_small_order_component_is_refused(ctx: Ctx) -> None:
    honest = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    number = int.from_bytes(honest, "little")
    y, sign = number & (2**255 - 1), number >> 255
    # A + (0, -1) = (-x, -y): the honest point plus the point of order 2
    mixed = _encode(0, (P - y) % P, sign=1 - sign)
    response = ctx.add_key("manufacturer", "manufacturer/mixed", base64.b64encode(mixed).decode())
    assert_problem(
        response,
        422,
        "weak_key",
        "public_key is a point with a small-order component (not in the prime-order subgroup): no signature "
        "made with it proves anything",
    )


def test_item5_a_normal_key_still_works(ctx: Ctx) -> None:
    private = Ed25519PrivateKey.generate()
    assert ctx.add_key("manufacturer", "manufacturer/2026-2", public_b64(private)).status_code == 201
    signer = Party("manufacturer", ctx.maker.token, "manufacturer/2026-2", private)
    response = ctx.client.post("/v1/events", json=signer.claim(code(3), "produced", PRODUCED), headers=signer.auth)
    assert response.status_code == 201, response.text


def test_item5_a_point_off_the_curve_is_not_a_key(ctx: Ctx) -> None:
    off = (2).to_bytes(32, "little")  # y = 2: (y^2 - 1) / (d y^2 + 1) has no square root
    response = ctx.add_key("manufacturer", "manufacturer/off", base64.b64encode(off).decode())
    assert_problem(response, 422, "invalid_key", "public_key is not a point of the Ed25519 curve")


# -- item 10: input edges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["upper", "braces", "urn", "hex"], ids=["upper case", "braces", "urn", "no hyphens"]
)
def test_item10_claim_id_must_be_a_lowercase_canonical_uuid(ctx: Ctx, spelling: str) -> None:
    claim_id = uuid.uuid4()
    text = {
        "upper": str(claim_id).upper(),
        "braces": "{" + str(claim_id) + "}",
        "urn": claim_id.urn,
        "hex": claim_id.hex,
    }[spelling]
    response = ctx.post_event(ctx.claim(code(2), id=text))
    assert_problem(
        response,
        422,
        "invalid_claim_id",
        f"claim.id must be a UUID in canonical form (8-4-4-4-12 lowercase hex digits), found {text!r}",
    )
    assert ctx.post_event(ctx.claim(code(2), id=str(claim_id))).status_code == 201


def test_item10_key_id_must_start_with_its_organisations_id(ctx: Ctx) -> None:
    taken = ctx.add_key("recycler", "manufacturer/2027-1")
    assert_problem(
        taken,
        422,
        "key_id_prefix",
        "key_id 'manufacturer/2027-1' must start with its organisation's id and '/': recycler/…",
    )
    bare = ctx.add_key("recycler", "recycler/")
    assert_problem(
        bare,
        422,
        "invalid_key_id",
        "key_id 'recycler/': after 'recycler/' come 1 or more letters, digits, '.', '_' or '-'",
    )
    assert ctx.add_key("recycler", "recycler/2027-1").status_code == 201


def test_item10_key_id_prefix_in_the_cli(env: Path) -> None:  # noqa: F811 -- the fixture
    assert run("orgs", "create", "catl", "--name", "宁德时代", "--role", "manufacturer")[0] == 0
    public = public_b64(Ed25519PrivateKey.generate())
    exit_code, _, err = run("keys", "add", "catl", "byd/1", public)
    assert exit_code == 1
    assert "key_id_prefix: key_id 'byd/1' must start with its organisation's id and '/': catl/…" in err
    assert run("keys", "add", "catl", "catl/1", public)[0] == 0


def test_item10_manufacturer_code_owned_by_another_org_is_a_conflict(ctx: Ctx) -> None:
    response = ctx.new_org(id="copycat", roles=["manufacturer"], manufacturer_codes=["S2L", "001", "777"])
    assert_problem(
        response,
        409,
        "manufacturer_code_taken",
        "manufacturer code already owned by another organisation: '001' by 'manufacturer', 'S2L' by 'second-life'",
    )
    assert ctx.new_org(id="copycat", roles=["manufacturer"], manufacturer_codes=["777"]).status_code == 201


def test_item10_names_and_key_ids_over_their_limits(ctx: Ctx) -> None:
    assert_problem(
        ctx.new_org(name="名" * 201),
        422,
        "too_long",
        "the name of organisation 'acme' is 201 characters long; the limit is 200",
    )
    assert ctx.new_org(name="名" * 200).status_code == 201
    long_id = "manufacturer/" + "k" * 116
    assert_problem(
        ctx.add_key("manufacturer", long_id), 422, "too_long", "key_id is 129 characters long; the limit is 128"
    )
    assert ctx.add_key("manufacturer", long_id[:-1]).status_code == 201


@pytest.mark.parametrize("path", ["/v1/packs", "/v1/reports/recall"])
@pytest.mark.parametrize("value", ["0", "1700000000", "20260101", "2026-1-1", "2026-01-01T00:00:00"])
def test_item10_date_filters_take_dates_only(ctx: Ctx, path: str, value: str) -> None:
    response = ctx.get(path, produced_to=value)
    assert_problem(
        response, 422, "invalid_request", f"query.produced_to: must be a date written YYYY-MM-DD, found {value!r}"
    )
    assert ctx.get(path, produced_to="2026-01-31").status_code == 200
