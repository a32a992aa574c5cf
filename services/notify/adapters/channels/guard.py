"""The only way a webhook reaches the network: every TCP connection the webhook client
opens resolves its host once, judges every address found (public unicast only, or in the
operator's allow-list) and connects to one of exactly those addresses.

The check sits in httpcore's network backend, under TLS and HTTP: the request keeps its
host name, so the Host header, TLS SNI and certificate verification are for the name the
subscriber gave, while the socket goes to the address that was checked (a DNS answer that
changes between check and connect, rebinding, cannot move it). Pooled connections were
checked when they were opened. Proxies from the environment are ignored and redirects are
never followed, so no other address can be reached through the client.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from services.notify.domain.addresses import Destinations, IPAddress

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
RESOLVE_SECONDS = 5.0


class Unresolvable(OSError):
    """A name that has no address (or whose lookup failed)."""


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        found = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS
        )
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise Unresolvable(f"cannot resolve {host}: {exc or type(exc).__name__}") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in found:
        # an IPv6 sockaddr may carry a scope ("fe80::1%eth0"): judge the address itself
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Unresolvable(f"cannot resolve {host}: no address")
    return addresses


async def refusal(
    destinations: Destinations, host: str, port: int, resolver: Resolver = resolve
) -> str | None:
    """Why ``host`` (resolved now) may not be reached on ``port``, or None."""
    for address in await resolver(host, port):
        reason = destinations.refusal(host, address, port)
        if reason is not None:
            return f"{host} resolves to {reason}" if str(address) != host else reason
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, destinations: Destinations, resolver: Resolver = resolve) -> None:
        self._destinations = destinations
        self._resolve = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._resolve(host, port)
        except Unresolvable as exc:
            raise httpcore.ConnectError(str(exc)) from None
        for address in addresses:  # all of them, so a mixed answer cannot slip one in
            reason = self._destinations.refusal(host, address, port)
            if reason is not None:
                raise httpcore.ConnectError(f"refused: {host} resolves to {reason}")
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks do not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool on :class:`GuardedBackend`."""

    def __init__(
        self, destinations: Destinations, tls: ssl.SSLContext, resolver: Resolver = resolve
    ) -> None:
        super().__init__(verify=tls, trust_env=False)
        limits = httpx.Limits()
        # httpx builds its pool on the default backend and offers no way to pass another,
        # so the pool is replaced with the same settings on the guarded one.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(destinations, resolver),
        )


def guarded_client(destinations: Destinations, tls: ssl.SSLContext) -> httpx.AsyncClient:
    """The webhook client: guarded connections, no proxies, no redirects."""
    return httpx.AsyncClient(
        transport=GuardedTransport(destinations, tls),
        follow_redirects=False,
        trust_env=False,
    )
