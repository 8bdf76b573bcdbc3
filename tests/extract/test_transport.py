"""The lean HTTP/1.1 transport under the SDK: chunked and gzip bodies, closing servers, reuse of connections."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import openai
import pytest

from curator.llm.transport import LeanTransport, lean_transport_fits

COMPLETION = {"id": "chatcmpl-x", "object": "chat.completion", "created": 0, "model": "m",
              "choices": [{"index": 0, "finish_reason": "stop",
                           "message": {"role": "assistant", "content": "{\"qa_pairs\": []}"}}]}


class Handler(BaseHTTPRequestHandler):
    """What the fixture's server answers; the class attributes are reset by the fixture for each test."""

    mode = "plain"
    seen_bodies: ClassVar[list[dict]] = []
    connections: ClassVar[set[int]] = set()

    def log_message(self, *args):
        pass

    def do_POST(self):
        Handler.seen_bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        Handler.connections.add(self.client_address[1])
        body = json.dumps(COMPLETION).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (body[:10], body[10:]):
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.mode == "gzip":
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        if self.mode == "close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(params=["plain", "chunked", "gzip", "close"])
def server(request):
    Handler.mode, Handler.seen_bodies, Handler.connections = request.param, [], set()
    Handler.protocol_version = "HTTP/1.1"
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, request.param
    httpd.shutdown()
    httpd.server_close()


def test_sdk_over_the_lean_transport(server):
    httpd, mode = server
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"

    async def go():
        client = openai.AsyncOpenAI(base_url=url, api_key="k", max_retries=0,
                                    http_client=openai.DefaultAsyncHttpxClient(transport=LeanTransport()))
        try:
            return [await client.post("/chat/completions", cast_to=bytes, content=json.dumps(
                {"model": "m", "messages": [{"role": "user", "content": f"n{i}"}]}).encode()) for i in range(3)]
        finally:
            await client.close()

    bodies = asyncio.run(go())
    assert [json.loads(b) for b in bodies] == [COMPLETION] * 3
    assert [b["messages"][0]["content"] for b in Handler.seen_bodies] == ["n0", "n1", "n2"]
    assert len(Handler.connections) == (3 if mode == "close" else 1)  # kept alive unless the server closes


def test_lean_transport_only_for_plain_http_without_proxy(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    assert lean_transport_fits("http://127.0.0.1:8000/v1")
    assert not lean_transport_fits("https://api.openai.com/v1")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    assert not lean_transport_fits("http://10.0.0.5:8000/v1")
