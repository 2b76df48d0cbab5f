"""Behind a reverse proxy (docs/operations.md §2): the X-Forwarded-For, X-Forwarded-Proto and
X-Forwarded-Host headers of a request are honoured only when the connection comes from a trusted proxy
(PACKTRACE_TRUSTED_PROXIES: addresses and CIDR networks). Then the request's client address (the login
throttle counts failures against it), scheme and Host (the web forms' same-origin check compares the
browser's Origin with it) are the ones the proxy saw; from any other address these headers are ignored, so
a client cannot pretend to be another address or another site.

X-Forwarded-For is read from the right: the nearest address that is not itself a trusted proxy is the
client (a chain of trusted proxies each appends the address it saw). X-Forwarded-Proto and X-Forwarded-Host
take the last value, the one the nearest proxy set.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, value: str) -> TrustedProxies:
        """`10.0.0.5, 10.1.0.0/16, ::1`: addresses and networks, comma-separated; ValueError naming a bad item."""
        networks: list[Network] = []
        for item in (part.strip() for part in value.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=True))
            except ValueError:
                raise ValueError(
                    f"PACKTRACE_TRUSTED_PROXIES: {item!r} is not an IP address or a network such as 10.0.0.0/8"
                ) from None
        return cls(tuple(networks))

    def __str__(self) -> str:
        return ",".join(str(network) for network in self.networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def _values(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    """Every comma-separated value of every header `name`, in order, stripped."""
    found = [value.decode("latin-1") for key, value in headers if key == name]
    return [part.strip() for value in found for part in value.split(",") if part.strip()]


class ForwardedHeaders:
    """ASGI middleware: the forwarded client, scheme and Host of requests from trusted proxies."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.proxies:
            client = scope.get("client")
            if client is not None and self.proxies.trusts(client[0]):
                scope = self._forwarded(dict(scope))
        await self.app(scope, receive, send)

    def _forwarded(self, scope: Scope) -> Scope:
        headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        chain = _values(headers, b"x-forwarded-for")
        if chain:
            client = next((hop for hop in reversed(chain) if not self.proxies.trusts(hop)), chain[0])
            with contextlib.suppress(ValueError):  # not an address (a proxy's "unknown"): the connection's stays
                scope["client"] = (str(ipaddress.ip_address(client)), 0)
        protos = _values(headers, b"x-forwarded-proto")
        if protos and protos[-1].lower() in ("http", "https"):
            scheme = protos[-1].lower()
            scope["scheme"] = scheme if scope["type"] == "http" else scheme.replace("http", "ws")
        hosts = _values(headers, b"x-forwarded-host")
        if hosts and _HOST.fullmatch(hosts[-1]):
            host = hosts[-1].encode("latin-1")
            scope["headers"] = [(key, value) for key, value in headers if key != b"host"] + [(b"host", host)]
        return scope
