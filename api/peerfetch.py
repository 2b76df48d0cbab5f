"""The HTTP edge of federation (docs/federation.md): fetch a peer platform's handover document, or its
continuation of a pack's life.

The ledger's use case (ledger.usecases.federation.receive_handover) signs the request and verifies the
answer; this module only carries it, outside any transaction, with a bounded time and size."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

import httpx

from events.errors import UnavailableError

TIMEOUT_S = 30.0
BRIEF_TIMEOUT_S = 5.0  # a page waits this long for a peer's part of a pack's life (docs/federation.md §6)
MAX_BYTES = 64 * 1024 * 1024


def fetch_json(url: str, headers: Mapping[str, str], *, timeout: float = TIMEOUT_S) -> Any:
    """GET `url` with `headers`; the JSON body of a 200, else UnavailableError naming the peer's answer. Each
    step (connecting, the answer's head, each read) waits at most `timeout` seconds."""
    body = bytearray()
    try:
        with httpx.Client(timeout=timeout) as http, http.stream("GET", url, headers=dict(headers)) as answer:
            for chunk in answer.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise UnavailableError(f"the peer's answer from {url} is over {MAX_BYTES} bytes", code="peer_error")
    except httpx.HTTPError as exc:
        raise UnavailableError(
            f"the peer platform at {url} cannot be reached: {exc}", code="peer_unreachable"
        ) from None
    if answer.status_code != 200:
        detail = bytes(body[:300]).decode("utf-8", "replace")
        raise UnavailableError(
            f"the peer platform answered {answer.status_code} for {url}: {detail}", code="peer_error"
        )
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        raise UnavailableError(f"the peer platform's answer from {url} is not JSON", code="peer_error") from None


def fetch_json_briefly(url: str, headers: Mapping[str, str]) -> Any:
    """`fetch_json` for a page that is being read: the page waits at most BRIEF_TIMEOUT_S in all, however the
    peer paces its answer. The exchange runs on a thread of its own, which a slow peer keeps a little longer
    (each of its steps is bounded by the same time) while the page goes on without it."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fetch_json(url, headers, timeout=BRIEF_TIMEOUT_S)
        except Exception as exc:  # handed to the page's thread below
            outcome["error"] = exc

    exchange = threading.Thread(target=run, name="peer-fetch", daemon=True)
    exchange.start()
    exchange.join(BRIEF_TIMEOUT_S)
    if exchange.is_alive():
        raise UnavailableError(f"the peer platform at {url} cannot be reached: timed out", code="peer_unreachable")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
