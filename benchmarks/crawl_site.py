"""A deterministic static web site for `curator bench crawl`, and a small fast server for it on 127.0.0.1.

Pages look like documentation or news pages: a head with styles and scripts,
navigation, a sidebar of related links, an article of 10-60 KB of English and
Korean prose with headings, lists, a table and here and there a bold term, an
in-text link or a code, and a footer. Every page links to the next one (so all
are reachable) and to a dozen others; robots.txt keeps crawlers out of
/private/ and names the sitemap, which lists every page.
"""

from __future__ import annotations

import html
import multiprocessing
import multiprocessing.connection
import os
import random
import socket
import threading
from pathlib import Path

from curator.processes import exit_when_gone

_EN = (
    "shipment", "exporter", "importer", "customs", "clearance", "invoice", "letter", "credit",
    "bank", "freight", "carrier", "vessel", "container", "port", "terminal", "tariff", "duty",
    "origin", "certificate", "insurance", "incoterms", "seller", "buyer", "delivery", "risk",
    "transfer", "cost", "warehouse", "inventory", "supplier", "demand", "forecast", "lead", "time",
    "order", "quantity", "logistics", "route", "inspection", "payment", "document", "contract",
    "clause", "dispute", "arbitration", "quality", "sample", "packing", "list", "bill", "lading",
    "consignee", "notify", "party", "declaration", "classification", "code", "rate", "quota",
    "license", "regulation", "compliance", "audit",
)
_KO = (
    "수출", "수입", "통관", "송장", "신용장", "은행", "운임", "운송인", "선박", "컨테이너", "항만", "터미널", "관세", "원산지", "증명서",
    "보험", "인코텀즈", "매도인", "매수인", "인도", "위험", "이전", "비용", "창고", "재고", "공급자", "수요", "예측", "리드타임", "주문",
    "수량", "물류", "경로", "검사", "결제", "서류", "계약", "조항", "분쟁", "중재", "품질", "견본", "포장명세서", "선하증권", "수하인",
    "통지처", "신고", "분류", "세율", "할당", "허가", "규정", "준수", "감사",
)
_KO_ENDINGS = ("이다.", "한다.", "된다.", "있다.", "필요하다.", "중요하다.")


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.4:
        words = [rng.choice(_KO) for _ in range(rng.randint(5, 12))]
        return " ".join(words) + rng.choice(_KO_ENDINGS)
    words = [rng.choice(_EN) for _ in range(rng.randint(8, 22))]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def page_path(n: int) -> str:
    return "/" if n == 0 else f"/docs/{n // 100:02d}/page-{n}.html"


def _links(rng: random.Random, n: int, pages: int, count: int) -> str:
    picks = [n + 1] if n + 1 < pages else []
    picks += [rng.randrange(pages) for _ in range(count)]
    return "".join(f'<li><a href="{page_path(p)}">{html.escape(_sentence(rng)[:40])}</a></li>' for p in picks)


def _paragraph(rng: random.Random, sentences: list[str], pages: int) -> str:
    """A few sentences; as on real pages, some with a term in bold or italics, a link or a code in the text."""
    parts = [html.escape(rng.choice(sentences)) for _ in range(rng.randint(3, 8))]
    roll = rng.random()
    at = rng.randrange(len(parts))
    words = parts[at].split(" ")
    word = rng.randrange(len(words))
    if roll < 0.2:
        tag = rng.choice(("strong", "b", "em"))
        words[word] = f"<{tag}>{words[word]}</{tag}>"
    elif roll < 0.3:
        words[word] = f'<a href="{page_path(rng.randrange(pages))}">{words[word]}</a>'
    elif roll < 0.35:
        words[word] = f"<code>HS {rng.randint(1000, 9999)}.{rng.randint(10, 99)}</code>"
    parts[at] = " ".join(words)
    return " ".join(parts)


def build_page(n: int, pages: int, sentences: list[str]) -> str:
    rng = random.Random(n * 7919 + 17)
    target = rng.randint(10_000, 60_000)
    head = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Trade guide {n}</title>"
            "<style>body{font-family:sans-serif}nav a{margin:0 4px}.side{float:right;width:20%}</style>"
            "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}</script>"
            "</head><body><header><nav><ul>" + _links(rng, n, pages, 12) + "</ul></nav></header>")
    side = "<aside class='side'><h3>Related</h3><ul>" + _links(rng, n, pages, 10) + "</ul></aside>"
    body = [f"<main><article><h1>Trade guide {n}: {html.escape(rng.choice(sentences)[:60])}</h1>"]
    size = len(head) + len(side)
    section = 0
    while size < target:
        if rng.random() < 0.15:
            section += 1
            body.append(f"<h2>Section {section}</h2>")
        body.append(f"<p>{_paragraph(rng, sentences, pages)}</p>")
        if rng.random() < 0.08:
            body.append("<ul>" + "".join(f"<li>{html.escape(rng.choice(sentences))}</li>" for _ in range(4)) + "</ul>")
        if rng.random() < 0.04:
            rows = "".join(f"<tr><td>{rng.choice(_EN)}</td><td>{rng.randint(1, 999)}</td></tr>" for _ in range(5))
            body.append(f"<table><tr><th>item</th><th>value</th></tr>{rows}</table>")
        size += len(body[-1])
    body.append("</article></main>")
    private = f"<a href='/private/{n}.html'>internal</a>" if n % 50 == 0 else ""
    foot = f"<footer><p>Copyright 2026 Example Trade Academy. All rights reserved.</p>{private}</footer></body></html>"
    return head + side + "".join(body) + foot


PLACEHOLDER = "http://bench-site.invalid"  # the server writes its real address here when it starts


def write_site(root: Path, pages: int, seed: int = 20260101) -> list[Path]:
    """Write the site under `root`; returns the page files in page order."""
    rng = random.Random(seed)
    sentences = [_sentence(rng) for _ in range(4000)]
    files = []
    for n in range(pages):
        path = root / ("index.html" if n == 0 else page_path(n).lstrip("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(build_page(n, pages, sentences), encoding="utf-8")
        files.append(path)
    (root / "robots.txt").write_text(f"User-agent: *\nDisallow: /private/\nSitemap: {PLACEHOLDER}/sitemap.xml\n",
                                     encoding="utf-8")
    locs = "".join(f"<url><loc>{PLACEHOLDER}{page_path(n)}</loc></url>" for n in range(pages))
    (root / "sitemap.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}'
        "</urlset>", encoding="utf-8")
    return files


_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8"}


def _responses(root: Path, base: bytes) -> dict[bytes, bytes]:
    """Every file's whole HTTP answer, headers and body, built once: serving one is a single send."""
    answers = {}
    for path in root.rglob("*"):
        if path.is_file():
            rel = "/" + path.relative_to(root).as_posix()
            data = path.read_bytes()
            if path.suffix != ".html":
                data = data.replace(PLACEHOLDER.encode("ascii"), base)
            answers[b"/" if rel == "/index.html" else rel.encode("utf-8")] = _answer(
                "200 OK", _TYPES.get(path.suffix, "text/plain"), data)
    return answers


def _answer(status: str, ctype: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            "Connection: keep-alive\r\n\r\n").encode("latin-1") + body


_NOT_FOUND = _answer("404 Not Found", "text/plain", b"not found")


def _serve_connection(conn: socket.socket, answers: dict[bytes, bytes]) -> None:
    """One keep-alive connection: read request heads, send the prepared answers, until the client closes."""
    pending = b""
    with conn:
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            pending += data
            while (end := pending.find(b"\r\n\r\n")) >= 0:
                head, pending = pending[:end], pending[end + 4:]
                parts = head.split(b" ", 2)
                try:
                    conn.sendall(answers.get(parts[1], _NOT_FOUND) if len(parts) > 1 else _NOT_FOUND)
                except OSError:
                    return


def _server_main(root: str, port_out: multiprocessing.connection.Connection) -> None:
    # Threads with blocking sockets, one per connection (the crawl opens a few dozen at most): a request costs
    # a recv and a send, where an asyncio stream server spent about as much again in Python on each. This
    # server shares the two cores with the crawl it measures, so what it spends is taken from the crawl.
    exit_when_gone(os.getppid(), "benchmark-watch")  # a benchmark killed outright cannot stop its server
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    port = listener.getsockname()[1]
    answers = _responses(Path(root), f"http://127.0.0.1:{port}".encode("ascii"))
    port_out.send(port)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_serve_connection, args=(conn, answers), daemon=True).start()


def start_server(root: Path) -> tuple[multiprocessing.Process, int]:
    """Serve `root` from a child process; returns the process and its port."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_server_main, args=(str(root), send), daemon=True, name="bench-site")
    proc.start()
    if not receive.poll(60):
        proc.kill()
        raise RuntimeError("the benchmark's web server did not start")
    return proc, receive.recv()
