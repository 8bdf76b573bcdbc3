"""`curator init` and `curator status` as a user runs them."""

import json
import sqlite3

from curator.store import latest_version


def test_init_creates_a_documented_workspace(tmp_path, curator_cmd):
    result = curator_cmd("init", str(tmp_path / "ws"))
    assert result.returncode == 0, result.stderr
    config = (tmp_path / "ws" / "curator.toml").read_text()
    assert "[llm]" in config and "api_key_env" in config and "[chunking]" in config and "[split]" in config
    assert "# " in config  # the defaults are documented in place
    assert (tmp_path / "ws" / ".curator" / "workspace.db").is_file()


def test_init_on_an_existing_workspace_changes_nothing(tmp_path, curator_cmd):
    curator_cmd("init", str(tmp_path / "ws"))
    config = tmp_path / "ws" / "curator.toml"
    config.write_text(config.read_text() + "\n# my own note\n")
    before = config.read_text()
    result = curator_cmd("init", str(tmp_path / "ws"))
    assert result.returncode != 0
    assert "already a curator workspace" in result.stderr
    assert config.read_text() == before


def test_init_on_an_unwritable_path_says_so(tmp_path, curator_cmd):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = curator_cmd("init", str(blocker / "ws"))
    assert result.returncode != 0
    assert "cannot create a workspace" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_json_on_a_fresh_workspace(workspace, curator_cmd):
    result = curator_cmd("--workspace", str(workspace.root), "status", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema_version"] == latest_version()
    assert report["pairs"] == {} and report["versions"]["count"] == 0
    assert report["llm"]["api_key_env"] == "OPENAI_API_KEY"


def test_status_counts_what_the_store_holds(workspace, conn, curator_cmd):
    from curator.store import transaction
    from curator.store.catalog import add_document, add_source
    from curator.store.pairs import add_pair, set_status
    from curator.store.runs import record_error, stage_run

    with stage_run(conn, "ingest"):
        with transaction(conn):
            src = add_source(conn, "file", "/data/glossary.json", doc_kind="glossary")
            add_document(conn, src, "/data/glossary.json#1", "glossary_entry", "선하증권: 운송인이 발행하는 증권")
            a = add_pair(conn, question="선하증권이란?", answer="운송인이 발행하는 증권", origin="glossary",
                         actor="machine:ingest")
            add_pair(conn, question="What is FOB?", answer="Free On Board", origin="import", actor="machine:ingest")
            set_status(conn, a, "accepted", "alice")
    record_error(conn, "ingest", "/data/broken.json:3:7", "Expecting ',' delimiter")

    report = json.loads(curator_cmd("-w", str(workspace.root), "status", "--json").stdout)
    assert report["sources"] == {"file": 1}
    assert report["documents"] == {"glossary_entry": 1}
    assert report["pairs"] == {"accepted": {"glossary": 1}, "pending": {"import": 1}}
    assert report["runs"]["last_per_stage"][0]["stage"] == "ingest"
    assert report["runs"]["last_per_stage"][0]["status"] == "done"
    assert report["last_errors"][0]["location"] == "/data/broken.json:3:7"

    human = curator_cmd("-w", str(workspace.root), "status")
    assert human.returncode == 0
    assert "/data/broken.json:3:7" in human.stdout and "accepted" in human.stdout


def test_status_finds_the_workspace_from_a_subfolder(workspace, curator_cmd):
    sub = workspace.root / "notes" / "deep"
    sub.mkdir(parents=True)
    result = curator_cmd("status", "--json", cwd=sub)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["workspace"] == str(workspace.root)


def test_status_outside_a_workspace_explains(tmp_path, curator_cmd):
    result = curator_cmd("status", cwd=tmp_path, env={"CURATOR_WORKSPACE": ""})
    assert result.returncode != 0
    assert "curator init" in result.stderr


def test_killed_run_shows_as_interrupted_not_running(workspace, conn, curator_cmd):
    conn.execute("INSERT INTO runs (stage, status, pid) VALUES ('extract', 'running', 999999999)")
    report = json.loads(curator_cmd("-w", str(workspace.root), "status", "--json").stdout)
    last = report["runs"]["last_per_stage"][0]
    assert last["status"] == "failed" and "interrupted" in last["error"]


def test_newer_schema_is_refused_with_a_clear_message(workspace, curator_cmd):
    raw = sqlite3.connect(workspace.db_path)
    raw.execute(f"PRAGMA user_version = {latest_version() + 1}")
    raw.close()
    result = curator_cmd("-w", str(workspace.root), "status")
    assert result.returncode != 0
    assert "newer curator" in result.stderr and "Traceback" not in result.stderr


def test_a_file_that_is_not_a_database_is_reported(workspace, curator_cmd):
    for suffix in ("", "-wal", "-shm"):
        p = workspace.db_path.with_name(workspace.db_path.name + suffix)
        if p.exists():
            p.unlink()
    workspace.db_path.write_bytes(b"this is not sqlite" * 500)
    result = curator_cmd("-w", str(workspace.root), "status", "--check")
    assert result.returncode != 0
    assert "workspace.db" in result.stderr and "Traceback" not in result.stderr


def test_check_reports_a_damaged_database(workspace, conn, curator_cmd):
    conn.execute("CREATE TABLE filler (x TEXT)")
    conn.executemany("INSERT INTO filler VALUES (?)", [("z" * 500,) for _ in range(2000)])
    conn.execute("CREATE INDEX filler_x ON filler(x)")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    page_size = 4096
    with open(workspace.db_path, "r+b") as f:
        f.seek(0, 2)
        pages = f.tell() // page_size
        for page in range(pages - 40, pages - 10):  # garble the index's pages, keep the header and schema
            f.seek(page * page_size + 100)
            f.write(b"\xff" * 600)
    result = curator_cmd("-w", str(workspace.root), "status", "--check")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    text = result.stdout + result.stderr
    assert "Integrity check found problems" in text or "could not be read" in text or "not a readable" in text


def test_check_names_a_document_whose_stored_text_changed(workspace, conn, curator_cmd, sample_dir):
    added = curator_cmd("-w", str(workspace.root), "add", str(sample_dir), "--json")
    assert added.returncode == 0, added.stderr
    clean = curator_cmd("-w", str(workspace.root), "status", "--check", "--json")
    assert clean.returncode == 0 and json.loads(clean.stdout)["integrity"] == {"ok": True, "problems": []}

    doc = conn.execute("SELECT id, uri, content FROM documents WHERE length(content) > 100 ORDER BY id LIMIT 1").fetchone()
    text = doc["content"]
    flipped = text[:50] + chr(ord(text[50]) ^ 1) + text[51:]  # one bit of one character
    conn.execute("UPDATE documents SET content = ? WHERE id = ?", (flipped, doc["id"]))
    result = curator_cmd("-w", str(workspace.root), "status", "--check", "--json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)["integrity"]["problems"]
    assert any(p.startswith(f"document {doc['id']} ({doc['uri']})") and "sha256" in p for p in problems), problems
    assert any("differs from the part of its document" in p for p in problems)  # its chunk no longer matches either
    shown = curator_cmd("-w", str(workspace.root), "status", "--check")
    assert shown.returncode == 1 and f"document {doc['id']}" in shown.stdout


def test_check_names_a_chunk_whose_text_changed(workspace, conn, curator_cmd, sample_dir):
    assert curator_cmd("-w", str(workspace.root), "add", str(sample_dir)).returncode == 0
    chunk = conn.execute("SELECT id, text FROM chunks ORDER BY id DESC LIMIT 1").fetchone()
    conn.execute("UPDATE chunks SET text = ? WHERE id = ?", (chunk["text"][:-1] + ("#" if chunk["text"][-1] != "#" else "%"), chunk["id"]))
    result = curator_cmd("-w", str(workspace.root), "status", "--check", "--json")
    assert result.returncode == 1
    assert [p for p in json.loads(result.stdout)["integrity"]["problems"] if p.startswith(f"chunk {chunk['id']} ")]


def test_workspace_option_is_accepted_after_any_command(workspace, tmp_path, curator_cmd, monkeypatch):
    from typer.testing import CliRunner

    import curator.cli  # noqa: F401  (registers every command)
    from curator.cli.app import app

    ws = str(workspace.root)
    monkeypatch.chdir(tmp_path)  # outside the workspace: only the option can find it
    runner = CliRunner()
    for args in (["status", "--json", "-w", ws], ["status", "--workspace", ws, "--json"],
                 ["version", "list", "-w", ws], ["version", "-w", ws, "list"], ["-w", ws, "version", "list"],
                 ["export", "--help"]):
        result = runner.invoke(app, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert result.exit_code == 0, (args, result.output)
    for args in (["add", "--help"], ["version", "create", "--help"], ["extract", "--help"]):
        assert "--workspace" in runner.invoke(app, args, env={"COLUMNS": "200"}).output, args
    # and as a user types it, in a new process
    result = curator_cmd("status", "--json", "-w", ws, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pairs"] == {}
