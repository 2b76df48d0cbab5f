"""PACKTRACE_TRUSTED_PROXIES and the forwarded headers (api/proxies.py), one case per rule: a request's client,
scheme and Host are the forwarded ones only from a trusted proxy; X-Forwarded-For is read from the right;
values that are not an address, a scheme or a host are ignored."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError

from api.proxies import ForwardedHeaders, TrustedProxies
from api.settings import Settings

TRUSTED = "127.0.0.1, 10.0.0.0/8, ::1"


def seen(client: str, headers: dict[str, str], trusted: str = TRUSTED) -> tuple[str, str, str]:
    """(client address, scheme, Host) the app behind the middleware sees for a request from `client`."""
    found: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        found.update(scope)

    raw = [(b"host", b"127.0.0.1:8000")] + [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {"type": "http", "client": (client, 40000), "scheme": "http", "headers": raw}
    asyncio.run(ForwardedHeaders(app, TrustedProxies.parse(trusted))(scope, None, None))  # type: ignore[arg-type]
    hosts = [v.decode() for k, v in found["headers"] if k == b"host"]
    assert len(hosts) == 1
    return found["client"][0], found["scheme"], hosts[0]


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "trace.example.cn"}


def test_a_trusted_proxy_s_forwarded_headers_are_the_request_s() -> None:
    assert seen("127.0.0.1", FORWARDED) == ("203.0.113.7", "https", "trace.example.cn")


def test_an_address_inside_a_trusted_network_is_trusted() -> None:
    assert seen("10.20.30.40", FORWARDED) == ("203.0.113.7", "https", "trace.example.cn")


def test_an_ipv4_mapped_ipv6_connection_of_a_trusted_proxy_is_trusted() -> None:
    assert seen("::ffff:127.0.0.1", FORWARDED) == ("203.0.113.7", "https", "trace.example.cn")


def test_the_same_headers_from_an_untrusted_address_are_ignored() -> None:
    assert seen("192.0.2.50", FORWARDED) == ("192.0.2.50", "http", "127.0.0.1:8000")


def test_no_trusted_proxy_configured_ignores_them_from_anyone() -> None:
    assert seen("127.0.0.1", FORWARDED, trusted="") == ("127.0.0.1", "http", "127.0.0.1:8000")


def test_x_forwarded_for_is_read_from_the_right_past_trusted_proxies() -> None:
    # a client forged the first address; the nearest untrusted one is the client our proxies saw
    chain = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.0.0.2"}
    assert seen("127.0.0.1", chain)[0] == "203.0.113.7"


def test_a_chain_of_only_trusted_proxies_gives_its_first_address() -> None:
    assert seen("127.0.0.1", {"X-Forwarded-For": "10.0.0.9, 10.0.0.2"})[0] == "10.0.0.9"


def test_x_forwarded_for_over_several_headers_is_one_chain() -> None:
    found = seen("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"} | {"x-forwarded-for": "10.0.0.2"})
    assert found[0] == "203.0.113.7"


def test_a_forwarded_for_that_is_not_an_address_keeps_the_connection_s() -> None:
    assert seen("127.0.0.1", {"X-Forwarded-For": "unknown"})[0] == "127.0.0.1"


def test_a_forwarded_proto_other_than_http_or_https_is_ignored() -> None:
    assert seen("127.0.0.1", {"X-Forwarded-Proto": "gopher"})[1] == "http"


def test_the_last_forwarded_proto_and_host_are_the_nearest_proxy_s() -> None:
    nearest_last = {"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "evil.example, trace.example.cn"}
    found = seen("127.0.0.1", nearest_last)
    assert found[1:] == ("https", "trace.example.cn")


@pytest.mark.parametrize("host", ["evil.example/path", "a b", "trace.example.cn:80:80", "x@trace.example.cn"])
def test_a_forwarded_host_that_is_not_a_host_is_ignored(host: str) -> None:
    assert seen("127.0.0.1", {"X-Forwarded-Host": host})[2] == "127.0.0.1:8000"


def test_a_forwarded_host_with_a_port_or_ipv6_literal_is_taken() -> None:
    assert seen("127.0.0.1", {"X-Forwarded-Host": "trace.example.cn:8443"})[2] == "trace.example.cn:8443"
    assert seen("127.0.0.1", {"X-Forwarded-Host": "[2001:db8::1]:443"})[2] == "[2001:db8::1]:443"


def test_the_setting_takes_addresses_and_networks() -> None:
    assert Settings(trusted_proxies=" 127.0.0.1 ,10.0.0.0/8,, ::1").trusted_proxies == "127.0.0.1/32,10.0.0.0/8,::1/128"
    assert Settings().trusted_proxies == ""


@pytest.mark.parametrize(
    ("value", "item"), [("127.0.0.1,proxy.local", "proxy.local"), ("10.0.0.1/8", "10.0.0.1/8"), ("*", "*")]
)
def test_the_setting_refuses_an_item_that_is_not_an_address_or_network(value: str, item: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(trusted_proxies=value)
    assert [e["msg"] for e in refused.value.errors()] == [
        f"Value error, PACKTRACE_TRUSTED_PROXIES: {item!r} is not an IP address or a network such as 10.0.0.0/8"
    ]
