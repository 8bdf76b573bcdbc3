"""Refusing loopback, private and link-local addresses where the connection is made.

The check sits in the HTTP client's network backend, not before the request:
a host name is resolved once, every address it resolves to is checked, and the
socket is opened to the checked address itself. A check made earlier with a
separate lookup could be fooled by a name that resolves to a public address
first and to 127.0.0.1 a moment later (DNS rebinding), and it would also miss
redirects. TLS still verifies the certificate against the host name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import select
import socket
import ssl
import typing

import httpcore
import httpx

from curator.errors import CuratorError


class PrivateAddressRefused(CuratorError):
    """The host resolves to an address on this machine or a private network, and --allow-private was not given."""


def address_refusal(host: str, address: str) -> str | None:
    """Why connecting to `address` (which `host` resolved to) is refused, or None when it is a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        kind = "a loopback address"
    elif ip.is_link_local:
        kind = "a link-local address"
    elif ip.is_private:
        kind = "a private-network address"
    elif ip.is_unspecified or ip.is_multicast or ip.is_reserved or not ip.is_global:
        kind = "a non-public address"
    else:
        return None
    shown = host if host == address else f"{host} ({address})"
    return (f"{shown} is {kind}; the crawler refuses it so that a page cannot point it at this machine or "
            "your network. Pass --allow-private to crawl it on purpose")


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's default backend, but connecting only to addresses that pass `address_refusal`."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        if not self.allow_private:
            for address in addresses:
                reason = address_refusal(host, address)
                if reason:
                    raise PrivateAddressRefused(reason)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return KeptSocketStream(await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[typing.Any] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the crawler does not connect to Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    @staticmethod
    async def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP), timeout)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"looking up {host} took longer than {timeout} s") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        seen: list[str] = []
        for info in infos:
            address = str(info[4][0])
            if address not in seen:
                seen.append(address)
        if not seen:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        return seen


class KeptSocketStream(httpcore.AsyncNetworkStream):
    """httpcore's stream from the backend above, answering "is the socket readable?" from the socket it keeps.

    httpcore asks that of every idle connection each time it hands out a connection
    (a readable idle socket means the server closed it). anyio answers by building a
    table of the socket's attributes, with a getpeername() call, every time: a few
    hundredths of a millisecond per crawled page in the crawling process, for a
    question whose socket never changes.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return KeptSocketStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "socket":
            return self._socket
        if info == "is_readable":
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    """Whether a read would return at once; a socket without a descriptor counts as readable (it is closed)."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport without proxies from the environment, whose connections go through GuardedBackend."""

    def __init__(self, *, allow_private: bool, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private),
        )
