"""Fixtures for the review library and `curator pair`: a generated workspace, and the CLI run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curator.store import transaction
from curator.store.catalog import add_chunk, add_document, add_source
from curator.workspace import Workspace, open_workspace
from tests.support.workspaces import generate_review_workspace

CHUNK = ("Under FOB terms the seller clears the goods for export. Risk passes to the buyer when the goods are "
         "on board the vessel at the named port of shipment. The buyer pays the main carriage and insurance.")


def as_reviewer(ws: Workspace, name: str) -> Workspace:
    text = ws.config_path.read_text(encoding="utf-8").replace('reviewer = ""', f'reviewer = "{name}"', 1)
    ws.config_path.write_text(text, encoding="utf-8")
    return open_workspace(ws.root)


@pytest.fixture
def review_ws(tmp_path: Path) -> Workspace:
    """60 generated pairs (every origin and state, flags, clusters), reviewer "alice"."""
    return as_reviewer(generate_review_workspace(tmp_path / "ws", 60), "alice")


@pytest.fixture
def llm_ws(tmp_path: Path) -> Workspace:
    """One transcript chunk (not extracted yet), the endpoint spoken to as OpenAI (json_schema), reviewer alice."""
    from curator.workspace import init_workspace

    ws = init_workspace(tmp_path / "llm")
    text = ws.config_path.read_text(encoding="utf-8").replace('backend = "llamacpp"', 'backend = "openai"', 1)
    ws.config_path.write_text(text, encoding="utf-8")
    ws = as_reviewer(ws, "alice")
    conn = ws.connect()
    with transaction(conn):
        source = add_source(conn, "file", "/corpus/fob.txt", doc_kind="transcript")
        doc = add_document(conn, source, "/corpus/fob.txt", "transcript", CHUNK, title="FOB", language="en")
        add_chunk(conn, doc, 0, CHUNK, 0, len(CHUNK), len(CHUNK) // 4)
    conn.close()
    return ws


class Pair:
    """`pair(ws, "accept", "3", ...)`: runs `curator --workspace WS pair ...` in-process; returns (code, out, err)."""

    def __init__(self, capsys) -> None:
        self.capsys = capsys

    def __call__(self, ws: Workspace, *args: str) -> tuple[int, str, str]:
        from curator.cli import main

        self.capsys.readouterr()
        try:
            main(["--workspace", str(ws.root), "pair", *args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, ws: Workspace, *args: str) -> dict:
        code, out, err = self(ws, *args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def pair(capsys, monkeypatch) -> Pair:
    from curator.cli.common import err, out

    monkeypatch.setattr(out, "width", 400)   # no wrapping in the middle of a message
    monkeypatch.setattr(err, "width", 400)
    return Pair(capsys)
