"""Fixtures for the extraction tests: the scripted server, chunks written straight into the store, settings."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pytest

from curator.config import load_config
from curator.store import transaction
from curator.store.catalog import add_chunk, add_document, add_source
from curator.workspace import Workspace
from tests.support.scripted_llm import ScriptedLLM

SECRET = "sk-test-7f3c9d2e1b0a4f58a6c3e9d1"


@pytest.fixture
def scripted() -> Iterator[ScriptedLLM]:
    with ScriptedLLM(slow_s=3.0) as server:
        yield server


def set_config(ws: Workspace, section: str, **values: object) -> None:
    """Change keys of one section in the workspace's curator.toml (as a user would) and reload it."""
    text = ws.config_path.read_text(encoding="utf-8")
    head = text.index(f"[{section}]\n")
    end = text.find("\n[", head + 1)
    end = len(text) if end == -1 else end
    body = text[head:end]
    for key, value in values.items():
        literal = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) \
            else repr(value)
        line = f"{key} = {literal}"
        pattern = re.compile(rf"^{key} = .*$", re.MULTILINE)
        body = pattern.sub(line.replace("\\", "\\\\"), body) if pattern.search(body) else body + line + "\n"
    ws.config_path.write_text(text[:head] + body + text[end:], encoding="utf-8")
    ws.config = load_config(ws.config_path)


def point_at(ws: Workspace, server: ScriptedLLM, backend: str = "openai", **llm: object) -> None:
    settings = {"base_url": server.base_url, "backend": backend, "model": "scripted-model", "max_retries": 1,
                "timeout_s": 10, "concurrency": 4, **llm}
    set_config(ws, "llm", **settings)


def add_chunks(ws: Workspace, texts: Sequence[str], *, language: str | None = "en",
               uri: str = "/corpus/lecture.txt") -> list[int]:
    """One source and document holding `texts` as consecutive chunks; returns the chunk ids."""
    conn = ws.connect()
    try:
        with transaction(conn):
            source = add_source(conn, "file", uri, doc_kind="transcript")
            doc = add_document(conn, source, uri, "transcript", "\n".join(texts), title="Trade lecture",
                               language=language)
            ids, offset = [], 0
            for seq, text in enumerate(texts):
                ids.append(add_chunk(conn, doc, seq, text, offset, offset + len(text), len(text) // 4))
                offset += len(text) + 1
        return ids
    finally:
        conn.close()


def invoke(ws: Workspace | None, *args: str):
    """Run a curator command in this process (typer's CliRunner): what a user sees, without a new interpreter."""
    from typer.testing import CliRunner

    import curator.cli  # noqa: F401  (registers every command)
    from curator.cli.app import app

    prefix = ["--workspace", str(ws.root)] if ws is not None else []
    return CliRunner().invoke(app, [*prefix, *args], env={"COLUMNS": "200", "NO_COLOR": "1"})


def lecture(i: int, marker: str = "") -> str:
    """A short English chunk; `marker` scripts the server's answers for it."""
    return (f"Shipment {i} travels under FOB terms. The seller clears export customs for shipment {i}. "
            f"Risk passes to the buyer when cargo {i} is on board the vessel. {marker}").strip()
