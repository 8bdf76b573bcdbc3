"""The API key is sent to the endpoint and never reaches the store, the logs, error messages or output."""

from __future__ import annotations

import json
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
    # one request at a time: the 401 (which stops the run) comes after the invalid chunk's repair re-ask
    point_at(workspace, scripted, api_key_env="CURATOR_TEST_KEY", max_retries=0, concurrency=1)
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


# -- a key planted everywhere: in the environment and in every kind of server reply ------------------------

# No well-known prefix (sk-, gsk_...): only knowing the variable's value can catch it.
PLANTED = "Zq7cur4t0rPl4nt3dK3y9x2W"
PLANTED_ENV = {"CURATOR_TEST_KEY": PLANTED}


def _everything_stored(workspace, conn) -> str:
    """Every table's rows, every file of the workspace (database, logs, runs, versions, exports) as text."""
    import pyarrow.parquet as pq

    parts = [dump_every_table(conn)]
    for path in sorted(workspace.root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        parts.append(data.decode("latin-1"))
        if path.suffix == ".parquet":  # compressed: read its values back
            parts.append(repr(pq.read_table(path).to_pylist()))
    return "\n".join(parts)


def _plant_pairs(workspace, *markers: str) -> None:
    from curator.store import transaction
    from curator.store.pairs import add_pair

    conn = workspace.connect()
    try:
        with transaction(conn):
            for i, marker in enumerate(markers):
                add_pair(conn, question=f"Which document proves shipment {i} was loaded? {marker}",
                         answer=f"The bill of lading for shipment {i}.", origin="glossary", actor="test")
    finally:
        conn.close()


def test_a_planted_key_never_reaches_store_files_or_output(workspace, scripted, curator_cmd, monkeypatch, capsys):
    """401 echoes, answers quoting the key, error bodies and moderation replies: extract, judge, moderation,
    versions, exports and every listing, each grepped for the key.

    A few commands run as a user runs them (a new process); the rest run `curator.cli.main` in this
    process (the same entry point, output and all), which keeps the test quick on a busy machine.
    """
    monkeypatch.setenv("CURATOR_TEST_KEY", PLANTED)
    monkeypatch.setenv("COLUMNS", "200")
    point_at(workspace, scripted, api_key_env="CURATOR_TEST_KEY", max_retries=0)
    set_config(workspace, "extract", stop_after_errors=50)
    set_config(workspace, "filters", moderation_batch_size=1)
    ids = add_chunks(workspace, [lecture(0), lecture(1, "[[scripted: leak]]"), lecture(2, "[[scripted: leak_invalid]]"),
                                 lecture(3, "[[scripted: leak_error]]"), lecture(4, "[[scripted: unauthorized]]")])
    outputs: list[str] = []

    def run(*args: str, ok: bool | None = True, process: bool = False) -> str:
        if process:
            result = curator_cmd("-w", str(workspace.root), *args, env=PLANTED_ENV)
            code, stdout, stderr = result.returncode, result.stdout, result.stderr
        else:
            from curator.cli import main

            try:
                main(["-w", str(workspace.root), *args])
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            stdout, stderr = capsys.readouterr()
        outputs.append(f"$ curator {' '.join(args)}\n{stdout}\n{stderr}")
        if ok is not None:
            assert (code == 0) == ok, (args, stdout, stderr)
        return stdout

    run("extract", *map(str, ids[:4]), process=True)       # one endpoint error, left pending to resume
    run("extract", str(ids[4]), ok=False, process=True)    # 401 quoting the key: the run stops
    assert scripted.served["leak"] and scripted.served["leak_invalid"] and scripted.served["unauthorized"]
    assert all(r["headers"]["authorization"] == f"Bearer {PLANTED}" for r in scripted.requests)
    scripted.queue("unauthorized")
    run("filter", "--only", "judge", ok=False)     # the judge's 401 stops it with one line
    run("filter", "--only", "judge")               # the leak chunk's pair: a verdict quoting the key
    _plant_pairs(workspace, "[[scripted: leak]]", "[[scripted: unauthorized]]")
    run("filter", "--only", "moderation")          # one reply quoting the key, one 401 quoting it
    assert scripted.served["moderation:leak"] and scripted.served["moderation:unauthorized"]
    created = json.loads(run("version", "create", "-m", "planted", "--include-pending", "--json"))
    run("export", created["id"], "--format", "jsonl")
    run("export", created["id"], "--format", "openai")
    run("status", ok=None, process=True)
    for listing in (["status", "--json"], ["status", "--check"], ["extract", "--list-failed"],
                    ["extract", "--list-failed", "--json"], ["filter", "failing"], ["filter", "failing", "--json"],
                    ["pair", "list", "--status", "all"], ["pair", "list", "--status", "all", "--json"],
                    ["version", "list"], ["version", "show", created["id"]], ["version", "stats", created["id"]]):
        run(*listing, ok=None)
    for pair_id in range(1, 8):
        run("filter", "explain", str(pair_id), "--json", ok=None)
        run("pair", "show", str(pair_id), ok=None)

    printed = "\n".join(outputs)
    conn = workspace.connect()
    try:
        stored = _everything_stored(workspace, conn)
        calls = conn.execute("SELECT purpose, response, error FROM llm_calls").fetchall()
        errors = [r[0] for r in conn.execute("SELECT message FROM errors")]
        reasons = [r[0] for r in conn.execute("SELECT reason FROM filter_scores")]
        answers = [r[0] for r in conn.execute("SELECT answer FROM qa_pairs")]
    finally:
        conn.close()
    places = {
        "extract answers": [c["response"] for c in calls if c["purpose"] in ("extract", "repair")],
        "extract errors": [c["error"] for c in calls if c["purpose"] in ("extract", "repair")],
        "judge answers": [c["response"] for c in calls if c["purpose"] == "judge"],
        "moderation replies": [c["response"] for c in calls if c["purpose"] == "moderation"],
        "moderation errors": [c["error"] for c in calls if c["purpose"] == "moderation"],
        "errors table": errors, "filter scores": reasons, "pairs": answers,
        "workspace files": [p.read_bytes().decode("latin-1") for p in workspace.root.rglob("*")
                            if p.is_file() and ".curator" not in p.parts],
    }
    leaks = sorted(name for name, texts in places.items() if any(PLANTED in (t or "") for t in texts))
    leaks += [out.split("\n", 1)[0] for out in outputs if PLANTED in out]
    assert leaks == [], f"the key reached: {leaks}"
    assert PLANTED not in stored  # and nowhere else: every table, the database files, runs, versions, exports
    # every planted echo happened, and was kept blanked rather than dropped
    assert any(c["purpose"] == "extract" and "served with key [redacted]" in (c["response"] or "") for c in calls)
    assert any(c["purpose"] == "judge" and "served with key [redacted]" in (c["response"] or "") for c in calls)
    assert any("my key is [redacted]" in (c["response"] or "") for c in calls)
    assert any("Bearer [redacted]" in (c["error"] or "") for c in calls)
    assert any(c["purpose"] == "moderation" and "Incorrect API key provided: [redacted]" in (c["error"] or "")
               for c in calls)
    assert any("Incorrect API key provided: [redacted]" in m for m in errors)
    assert any("echo [redacted]" in (r or "") for r in reasons)
    assert any("served with key [redacted]" in a for a in answers)
    assert "my key is [redacted]" in printed  # extract --list-failed shows the raw answer, blanked
    exported = "".join(p.read_text(encoding="utf-8") for p in workspace.root.glob("exports/**/*.jsonl"))
    assert "served with key [redacted]" in exported


# -- keys where they do not belong are refused, without being echoed -----------------------------------------

@pytest.mark.parametrize("url", ["http://user:{s}@127.0.0.1:9/v1", "http://127.0.0.1:9/v1?api-key={s}",
                                 "https://{s}@llm.example.com/v1", "http://127.0.0.1:9/v1?token={s}&x=1"])
def test_credentials_in_base_url_are_refused_and_say_where_the_key_goes(workspace, curator_cmd, url):
    url = url.format(s=PLANTED)
    set_config(workspace, "llm", api_key_env="CURATOR_TEST_KEY")
    add_chunks(workspace, [lecture(0)])
    flag = curator_cmd("-w", str(workspace.root), "extract", "--base-url", url)
    text = workspace.config_path.read_text(encoding="utf-8").replace('base_url = ""', f'base_url = "{url}"', 1)
    workspace.config_path.write_text(text, encoding="utf-8")
    configured = curator_cmd("-w", str(workspace.root), "status")
    for result in (flag, configured):
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "credentials" in lines[0] and "CURATOR_TEST_KEY" in lines[0], result.stderr
        assert PLANTED not in result.stdout + result.stderr
    conn = workspace.connect()
    try:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
        assert PLANTED not in dump_every_table(conn)
    finally:
        conn.close()


@pytest.mark.parametrize("value", ["gsk_ABC123", "sk-live-0123456789abcdef0123", "my key"])
def test_a_key_typed_into_api_key_env_is_refused_without_echoing_it(workspace, curator_cmd, value):
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(text.replace('api_key_env = "OPENAI_API_KEY"', f'api_key_env = "{value}"', 1),
                                     encoding="utf-8")
    result = curator_cmd("-w", str(workspace.root), "status")
    assert result.returncode == 1
    assert "api_key_env must name an environment variable" in result.stderr
    assert value not in result.stdout + result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_remote_endpoint_without_its_key_is_warned_about(workspace, monkeypatch, capsys):
    monkeypatch.delenv("CURATOR_TEST_KEY", raising=False)
    llm = {**workspace.config["llm"], "api_key_env": "CURATOR_TEST_KEY"}
    with open_endpoint(llm, base_url="https://llm.example.com/v1"):
        pass
    warned = capsys.readouterr().err
    assert warned.count("\n") == 1 and "CURATOR_TEST_KEY" in warned and "is not set" in warned
    for quiet in ("http://127.0.0.1:8000/v1", "http://localhost:11434/v1", "http://[::1]:8000/v1"):
        with open_endpoint(llm, base_url=quiet):
            pass
    monkeypatch.setenv("CURATOR_TEST_KEY", PLANTED)
    with open_endpoint(llm, base_url="https://other.example.com/v1"):
        pass
    assert capsys.readouterr().err == ""


def test_base_url_with_credentials_is_refused_even_with_nothing_to_extract(workspace):
    with pytest.raises(ConfigError, match="--base-url carries credentials") as refused:
        run_extraction(workspace, base_url=f"http://me:{PLANTED}@127.0.0.1:9/v1")
    assert PLANTED not in str(refused.value)
