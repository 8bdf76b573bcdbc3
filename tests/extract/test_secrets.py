"""The API key is sent to the endpoint and never reaches the store, the logs, error messages or output."""

from __future__ import annotations

import os

import pytest

from curator.errors import ConfigError
from curator.extract.stage import run_extraction
from curator.llm.endpoint import open_endpoint

from .conftest import SECRET, add_chunks, lecture, point_at, set_config


def dump_every_table(conn) -> str:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    lines = []
    for table in tables:
        for row in conn.execute(f"SELECT * FROM {table}"):
            lines.append(repr(tuple(row)))
    return "\n".join(lines)


def test_key_is_used_but_never_stored_logged_or_shown(workspace, conn, scripted, monkeypatch, curator_cmd):
    monkeypatch.setenv("CURATOR_TEST_KEY", SECRET)
    point_at(workspace, scripted, api_key_env="CURATOR_TEST_KEY", max_retries=0)
    set_config(workspace, "extract", stop_after_errors=50)
    markers = ["", "[[scripted: invalid_json]]", "[[scripted: server_error]]", "[[scripted: unauthorized]]"]
    add_chunks(workspace, [lecture(i, m) for i, m in enumerate(markers)])
    summary = run_extraction(workspace)
    assert summary.succeeded == 1 and summary.failed == 1 and summary.errored == 2
    assert all(r["headers"]["authorization"] == f"Bearer {SECRET}" for r in scripted.requests)
    # the 401 quoted the key back; what curator kept of it is redacted
    stored = dump_every_table(conn)
    assert SECRET not in stored and "[redacted]" in stored
    assert SECRET not in summary.stopped if summary.stopped else True
    for path in workspace.root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    status = curator_cmd("status", "--json", cwd=workspace.root, env={"CURATOR_TEST_KEY": SECRET})
    assert status.returncode == 0 and SECRET not in status.stdout + status.stderr
    again = curator_cmd("extract", "--json", cwd=workspace.root, env={"CURATOR_TEST_KEY": SECRET})
    assert SECRET not in again.stdout + again.stderr
    assert "CURATOR_TEST_KEY" in status.stdout  # the variable's name is shown, never its value


def test_missing_openai_key_names_the_variable_not_a_value(workspace, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    llm = {**workspace.config["llm"], "base_url": "https://api.openai.com/v1", "backend": "openai"}
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is not set"), open_endpoint(llm):
        pass


def test_a_key_in_curator_toml_is_refused(workspace):
    from curator.config import load_config

    text = workspace.config_path.read_text(encoding="utf-8").replace('api_key_env = "OPENAI_API_KEY"',
                                                                     'api_key = "sk-oops"')
    workspace.config_path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="looks like a secret"):
        load_config(workspace.config_path)
    assert os.environ.get("NOPE") is None
