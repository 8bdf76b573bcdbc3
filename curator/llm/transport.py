"""A lean HTTP/1.1 transport for the SDK's client, used for plain-http endpoints (local and LAN servers).

The SDK's default stack (httpx, httpcore, h11, anyio) costs about a millisecond of
CPU per request, which is most of what a chunk costs when a fast server answers
hundreds of requests a second. This transport does the same job for the common
case with asyncio streams: keep-alive connections in a simple pool, a request
written in one go, a Content-Length or chunked body read back. The SDK keeps
doing everything else (headers, retries with backoff, Retry-After, timeouts,
error types), because failures are raised as the httpx exceptions it expects.
https endpoints, and any setup with a proxy, keep the SDK's default transport.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from typing import Any

from curator.llm.http_guard import ResponseTooLarge

try:  # the SDK's HTTP library: httpx2 in recent releases, httpx before
    import httpx2 as http
except ImportError:
    import httpx as http

_PROXY_VARS = ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")


def lean_transport_fits(base_url: str) -> bool:
    return base_url.startswith("http://") and not any(os.environ.get(v) for v in _PROXY_VARS)


class _Conn:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer


class LeanTransport(http.AsyncBaseTransport):
    def __init__(self, max_idle: int = 64, max_body: int | None = None) -> None:
        self._idle: dict[tuple[str, int], deque[_Conn]] = {}
        self._max_idle = max_idle
        self._max_body = max_body  # [llm].max_response_bytes: the body is read here, so the cap is checked here

    async def handle_async_request(self, request: Any) -> Any:
        timeout = request.extensions.get("timeout", {})
        host, port = request.url.host, request.url.port or 80
        try:
            body = request.content
        except http.RequestNotRead:
            body = await request.aread()
        head = self._head(request, len(body))
        for fresh in (False, True):  # a kept-alive connection the server closed meanwhile: retry once on a new one
            conn = None if fresh else self._take(host, port)
            reused = conn is not None
            if conn is None:
                conn = await self._connect(host, port, timeout.get("connect"), request)
            try:
                conn.writer.write(head + body)
                status, headers, content, keep = await asyncio.wait_for(
                    self._read_response(conn.reader, self._max_body), timeout.get("read"))
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                conn.writer.transport.abort()
                if reused:
                    continue
                raise http.RemoteProtocolError(f"the server closed the connection: {exc}", request=request) from exc
            except TimeoutError as exc:
                conn.writer.transport.abort()
                raise http.ReadTimeout("timed out waiting for the response", request=request) from exc
            except BaseException:
                conn.writer.transport.abort()
                raise
            if keep:
                self._give_back(host, port, conn)
            else:
                conn.writer.close()
            return http.Response(status, headers=headers, content=content, request=request)
        raise http.RemoteProtocolError("the server closed the connection", request=request)

    @staticmethod
    def _head(request: Any, length: int) -> bytes:
        target = request.url.raw_path.decode("ascii")
        lines = [f"{request.method} {target} HTTP/1.1"]
        for name, value in request.headers.raw:
            if name.lower() not in (b"content-length", b"transfer-encoding", b"connection"):
                lines.append(f"{name.decode('latin-1')}: {value.decode('latin-1')}")
        lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _connect(self, host: str, port: int, timeout: float | None, request: Any) -> _Conn:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=2 ** 22), timeout)
        except TimeoutError as exc:
            raise http.ConnectTimeout(f"connecting to {host}:{port} timed out", request=request) from exc
        except OSError as exc:
            raise http.ConnectError(f"cannot connect to {host}:{port}: {exc}", request=request) from exc
        return _Conn(reader, writer)

    @staticmethod
    async def _read_response(reader: asyncio.StreamReader, max_body: int | None = None
                             ) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw[:-4].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        status = int(parts[1])
        headers, length, chunked, keep = [], None, False, parts[0] == b"HTTP/1.1"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip(), value.strip()
            lower = name.lower()
            if lower == b"content-length":
                length = int(value)
            elif lower == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
                continue  # the body handed to httpx is already de-chunked
            elif lower == b"connection":
                keep = value.lower() != b"close" if keep else value.lower() == b"keep-alive"
            headers.append((name, value))
        if max_body is not None and length is not None and length > max_body:
            raise ResponseTooLarge(max_body, length)  # the caller drops the connection: the body is never read
        if chunked:
            content = await _read_chunked(reader, max_body)
        elif length is not None:
            content = await reader.readexactly(length)
        else:
            content, keep = await _read_to_end(reader, max_body), False
        return status, headers, content, keep

    def _take(self, host: str, port: int) -> _Conn | None:
        pool = self._idle.get((host, port))
        while pool:
            conn = pool.pop()
            if not conn.writer.transport.is_closing() and not conn.reader.at_eof():
                return conn
        return None

    def _give_back(self, host: str, port: int, conn: _Conn) -> None:
        pool = self._idle.setdefault((host, port), deque())
        if len(pool) < self._max_idle:
            pool.append(conn)
        else:
            conn.writer.close()

    async def aclose(self) -> None:
        for pool in self._idle.values():
            while pool:
                pool.pop().writer.close()


async def _read_to_end(reader: asyncio.StreamReader, max_body: int | None) -> bytes:
    if max_body is None:
        return await reader.read()
    parts, total = [], 0
    while part := await reader.read(65536):
        total += len(part)
        if total > max_body:
            raise ResponseTooLarge(max_body)
        parts.append(part)
    return b"".join(parts)


async def _read_chunked(reader: asyncio.StreamReader, max_body: int | None = None) -> bytes:
    parts, total = [], 0
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
        total += size
        if max_body is not None and total > max_body:
            raise ResponseTooLarge(max_body)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
