"""A small Python client of the HTTP API: sign claims (DESIGN §3.1) and post them, read packs and the log.

    signer = Signer.from_key_file("catl.key", actor="catl", key_id="catl/2026-1")
    with PacktraceClient("https://packtrace.example", token=TOKEN) as api:
        api.post_event(signer.sign(code, "shipped", {"to": "byd-auto"}, at=now))
        api.post_registry(signer.key_added("catl/2026-2", new_public_key, at=now))  # a later key

Pass `transport=` (any httpx transport) to talk to an app in-process in tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.batch import batch_end
from events.registry import By, RegistryType, new_registry_claim, org_subject
from ledger.format.canonical import canonical
from ledger.format.claims import make_signed_claim, sign_claim
from ledger.format.handover import arrival_produced

MAX_BATCH = 10_000
MAX_HISTORY_PAGE = 1_000  # entries a page of GET /v1/packs/{code}/events


class KeyFileError(ValueError):
    """A private key file that cannot be read as an Ed25519 key in PEM (PKCS #8)."""


class ApiError(Exception):
    """A problem document the API answered with; `code` is its stable error code."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        self.problem = dict(problem)
        self.code = str(problem.get("code", "http_error"))
        self.detail = str(problem.get("detail", ""))
        super().__init__(f"HTTP {status} {self.code}: {self.detail}")

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The failing items of a rejected batch: `{position, code, detail, status}`."""
        return list(self.problem.get("errors") or [])


@dataclass(frozen=True)
class Signer:
    """An organisation's signing key: makes signed claims ready to post."""

    actor: str
    key_id: str
    private_key: Ed25519PrivateKey

    @classmethod
    def from_key_file(cls, path: Path | str, *, actor: str, key_id: str) -> Signer:
        """Load a PEM (PKCS #8) Ed25519 private key, as `packtrace keygen` writes it."""
        try:
            key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):  # not PEM, encrypted, or an unknown key type
            raise KeyFileError(f"{path} is not a private key in PEM, as `packtrace keygen` writes it") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"{path} does not hold an Ed25519 private key")
        return cls(actor, key_id, key)

    def sign(
        self,
        pack: str,
        type: str,
        data: Mapping[str, Any],
        *,
        at: datetime,
        claim_id: str | None = None,
        prev: str | None = None,
    ) -> dict[str, Any]:
        """The body of POST /v1/events: `{"claim": …, "sig": …}`; a random claim id unless given."""
        claim, sig = make_signed_claim(
            self.private_key,
            pack=pack,
            type=type,
            actor=self.actor,
            key=self.key_id,
            data=data,
            at=at,
            claim_id=claim_id,
            prev=prev,
        )
        return {"claim": claim, "sig": sig}

    def arrival(self, document: Mapping[str, Any], platform_key: str, *, at: datetime) -> dict[str, Any]:
        """The signed `arrived` claim of a pack handed over by another platform (docs/federation.md §3), built
        from its handover document and the origin log's verifier key: the body of POST /v1/handovers."""
        first = document["bundle"]["entries"][0]["claim"]
        data = {
            "platform": document["origin"],
            "platform_key": platform_key,
            "transfer": document["transfer"],
            "proof": document["proof"],
            "bundle_sha256": hashlib.sha256(canonical(document["bundle"])).hexdigest(),
            "produced": arrival_produced(document["bundle"]),
            "manufacturer": first["actor"],
        }
        return {**self.sign(document["code"], "arrived", data, at=at), "handover": dict(document)}

    # -- registry claims (docs/ledger-format.md §5), the body of POST /v1/registry ----------------------

    def sign_registry(
        self, org: str, type: RegistryType | str, data: Mapping[str, Any], *, at: datetime, claim_id: str | None = None
    ) -> dict[str, Any]:
        """A registry claim about organisation `org`, authorised by this key's signature: `{"claim", "sig"}`."""
        claim = new_registry_claim(
            subject=org_subject(org), type=type, by=By.SIGNATURE, actor=self.actor, key=self.key_id, data=data,
            at=at, claim_id=claim_id,
        )  # fmt: skip
        return {"claim": claim, "sig": sign_claim(claim, self.private_key)}

    def key_added(self, key_id: str, public_key: str, *, at: datetime, claim_id: str | None = None) -> dict[str, Any]:
        """A later key of this key's organisation (`public_key`: base64 of its 32 raw bytes)."""
        data = {"key_id": key_id, "public_key": public_key, "platform_held": False}
        return self.sign_registry(self.actor, RegistryType.KEY_ADDED, data, at=at, claim_id=claim_id)

    def key_revoked(
        self, key_id: str, *, at: datetime, reason: str | None = None, claim_id: str | None = None
    ) -> dict[str, Any]:
        """Revoke `key_id`: one of this organisation's keys, or any organisation's when a regulator signs."""
        data = {"key_id": key_id} if reason is None else {"key_id": key_id, "reason": reason}
        org = key_id.split("/", 1)[0]  # a key id starts with its organisation's id and '/'
        return self.sign_registry(org, RegistryType.KEY_REVOKED, data, at=at, claim_id=claim_id)

    def whitelist_changed(
        self, org: str, *, listed: bool, effective: date, reference: str, at: datetime, claim_id: str | None = None
    ) -> dict[str, Any]:
        """A regulator puts `org` on MIIT's 规范条件 list or takes it off, from `effective` on."""
        data = {"whitelist": {"listed": listed, "effective": effective.isoformat(), "reference": reference}}
        return self.sign_registry(org, RegistryType.ORG_CHANGED, data, at=at, claim_id=claim_id)


class PacktraceClient:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, transport=transport, timeout=timeout)

    def __enter__(self) -> PacktraceClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            self._raise(response)
        return response

    @staticmethod
    def _raise(response: httpx.Response) -> None:
        try:
            problem = response.json()
        except ValueError:
            problem = {"code": "http_error", "detail": response.text[:500]}
        raise ApiError(response.status_code, problem)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, **kwargs).json()

    # -- writing --------------------------------------------------------------------------------------

    def post_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Post one signed claim; the answer's `created` is False when it was already recorded."""
        result: dict[str, Any] = self._json("POST", "/v1/events", json=dict(event))
        return result

    def post_batch(self, events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Post up to 10,000 signed claims atomically; ApiError lists failing positions in `.errors`."""
        answer = self._json("POST", "/v1/events/batch", json={"events": [dict(e) for e in events]})
        results: list[dict[str, Any]] = answer["results"]
        return results

    def post_batches(
        self, events: Sequence[Mapping[str, Any]], *, size: int = 1_000
    ) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """Post in consecutive batches of `size`, yielding (offset of the batch, its results). A batch may run
        a little longer rather than part what must travel together (a swap's halves, a repurposing and
        the `produced` of its product: events.batch.batch_end)."""
        if not 1 <= size <= MAX_BATCH:
            raise ValueError(f"batch size must be 1 to {MAX_BATCH}, not {size}")
        claims = [event.get("claim", {}) for event in events]
        offset = 0
        while offset < len(events):
            end = batch_end(claims, offset, size, MAX_BATCH)
            yield offset, self.post_batch(events[offset:end])
            offset = end

    def recall_scope(self, draft: Mapping[str, Any]) -> dict[str, Any]:
        """What a recall campaign `{id, reason, due?, scope}` would recall: `{campaign, data, codes, excluded}`."""
        plan: dict[str, Any] = self._json("POST", "/v1/recalls/scope", json=dict(draft))
        return plan

    def create_recall(self, draft: Mapping[str, Any], claims: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Create a recall campaign from its signed `recalled` claims (one per code of `recall_scope`)."""
        body = {**draft, "claims": [dict(claim) for claim in claims]}
        created: dict[str, Any] = self._json("POST", "/v1/recalls", json=body)
        return created

    # -- orgs and keys --------------------------------------------------------------------------------

    def fetch_handover(self, code: str, origin: str) -> dict[str, Any]:
        """The handover document of `code` from the peer platform `origin`, fetched and verified by this server."""
        document: dict[str, Any] = self._json("GET", f"/v1/handovers/{code}", params={"from": origin})
        return document

    def post_arrival(self, arrival: Mapping[str, Any]) -> dict[str, Any]:
        """Post an `arrived` claim with its handover document (`Signer.arrival`)."""
        result: dict[str, Any] = self._json("POST", "/v1/handovers", json=dict(arrival))
        return result

    def create_org(self, org: Mapping[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self._json("POST", "/v1/orgs", json=dict(org))
        return created

    def add_key(self, org: str, key_id: str, public_key: str) -> dict[str, Any]:
        key: dict[str, Any] = self._json(
            "POST", f"/v1/orgs/{org}/keys", json={"key_id": key_id, "public_key": public_key}
        )
        return key

    def revoke_key(self, org: str, key_id: str) -> dict[str, Any]:
        """Revoke a key with the administrator's token (an organisation posts `Signer.key_revoked` instead)."""
        key: dict[str, Any] = self._json("DELETE", f"/v1/orgs/{org}/keys/{key_id}")
        return key

    def update_org(self, org: str, **changes: Any) -> dict[str, Any]:
        """Change an organisation (administrator): any of name, roles, manufacturer_codes, region, and
        whitelisted with effective (a date) and reference. Answers the organisation as it now stands."""
        body = {name: value.isoformat() if isinstance(value, date) else value for name, value in changes.items()}
        view: dict[str, Any] = self._json("PATCH", f"/v1/orgs/{org}", json=body)
        return view

    def post_registry(self, signed: Mapping[str, Any]) -> dict[str, Any]:
        """Post a signed registry claim (`Signer.key_added`, `.key_revoked`, `.whitelist_changed`):
        the answer is `{index, hash, entry}` of its registry entry."""
        entry: dict[str, Any] = self._json("POST", "/v1/registry", json=dict(signed))
        return entry

    def org_history(self, org: str) -> list[dict[str, Any]]:
        """Every registry entry about `org`, in log order: `{index, hash, entry}` each."""
        entries: list[dict[str, Any]] = self._json("GET", f"/v1/orgs/{org}/history")
        return entries

    def list_keys(self, org: str) -> list[dict[str, Any]]:
        """`org`'s public keys, each with its validity and whether the platform holds it."""
        keys: list[dict[str, Any]] = self._json("GET", f"/v1/orgs/{org}/keys")
        return keys

    def rotate_token(self, org: str) -> str:
        """A new API token for `org` (returned once); the old one stops working (docs/integration.md §1)."""
        issued: dict[str, Any] = self._json("POST", f"/v1/orgs/{org}/token")
        return str(issued["token"])

    # -- reading --------------------------------------------------------------------------------------

    def pack(self, code: str) -> dict[str, Any]:
        view: dict[str, Any] = self._json("GET", f"/v1/packs/{code}")
        return view

    def pack_event_pages(self, code: str, *, limit: int = MAX_HISTORY_PAGE) -> Iterator[dict[str, Any]]:
        """The pack's history a page at a time (`limit` entries a page, at most 1,000), following `next`."""
        params: dict[str, Any] = {"limit": limit}
        while True:
            page: dict[str, Any] = self._json("GET", f"/v1/packs/{code}/events", params=params)
            yield page
            if page["next"] is None:
                return
            params["cursor"] = page["next"]

    def iter_pack_events(self, code: str, *, limit: int = MAX_HISTORY_PAGE) -> Iterator[dict[str, Any]]:
        """Every entry of the pack's history as the caller may see it, in `seq` order, a page at a time."""
        for page in self.pack_event_pages(code, limit=limit):
            yield from page["events"]

    def pack_events(self, code: str) -> dict[str, Any]:
        """The pack's whole history in one object (`code`, `tier`, `total`, `events`), read page by page;
        for a long chain prefer `iter_pack_events`, which holds one page at a time."""
        events: list[dict[str, Any]] = []
        first: dict[str, Any] | None = None
        for page in self.pack_event_pages(code):
            first = first or page
            events += page["events"]
        assert first is not None
        return {**first, "events": events, "next": None}

    def bundle(self, code: str) -> dict[str, Any]:
        """The pack's offline bundle: full for a regulator, redacted for other organisations."""
        bundle: dict[str, Any] = self._json("GET", f"/v1/packs/{code}/bundle")
        return bundle

    def save_bundle(self, code: str, path: Path | str) -> None:
        """Write the pack's bundle to `path` as it arrives (a long chain's bundle is never held whole)."""
        with self._http.stream("GET", f"/v1/packs/{code}/bundle") as response:
            if response.status_code >= 400:
                response.read()
                self._raise(response)
            with Path(path).open("wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)

    def packs(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every pack matching the filters, following the cursor page by page."""
        params = {name: value for name, value in filters.items() if value is not None}
        while True:
            page = self._json("GET", "/v1/packs", params=params)
            yield from page["packs"]
            if page["next"] is None:
                return
            params["cursor"] = page["next"]

    def checkpoint(self) -> str:
        return self._call("GET", "/v1/log/checkpoint").text

    def log_key(self) -> dict[str, Any]:
        key: dict[str, Any] = self._json("GET", "/v1/log/key")
        return key

    def entries(self, start: int, end: int | None = None) -> dict[str, Any]:
        params = {"start": start} if end is None else {"start": start, "end": end}
        page: dict[str, Any] = self._json("GET", "/v1/log/entries", params=params)
        return page

    def inclusion_proof(self, index: int, size: int) -> dict[str, Any]:
        proof: dict[str, Any] = self._json("GET", "/v1/log/proof/inclusion", params={"index": index, "size": size})
        return proof

    def consistency_proof(self, old: int, new: int) -> dict[str, Any]:
        proof: dict[str, Any] = self._json("GET", "/v1/log/proof/consistency", params={"from": old, "to": new})
        return proof
