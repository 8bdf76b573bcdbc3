"""`curator train` and `curator eval` on a workspace: runs recorded, the judge through the engine, eval_low flags."""

from __future__ import annotations

import json
import re

import pytest

from curator.store.connection import transaction
from curator.store.pairs import add_pair
from tests.support.scripted_llm import ScriptedLLM

pytestmark = pytest.mark.slow  # several CLI processes, each importing torch and transformers


@pytest.fixture
def trained_workspace(workspace, conn, curator_cmd, make_version, pairs):
    """A workspace whose store holds the pairs of a version folder, and one finished smoke run on it."""
    with transaction(conn):
        ids = [add_pair(conn, question=q, answer=a, origin="glossary", actor="test") for q, a in pairs]
    lineages = [conn.execute("SELECT lineage_id FROM qa_pairs WHERE id = ?", (i,)).fetchone()[0] for i in ids]
    version = make_version(workspace.path("versions"), pairs)
    import pyarrow.parquet as pq

    table = pq.read_table(version / "data.parquet").to_pylist()
    for row, pair_id, lineage in zip(table, ids, lineages):
        row["pair_id"], row["lineage_id"] = pair_id, lineage
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(table), version / "data.parquet")
    return workspace, version, ids


def _train(curator_cmd, workspace, version, tiny_model):
    result = curator_cmd("-w", str(workspace.root), "train", str(version), "--base", str(tiny_model),
                         "--preset", "smoke", "--max-steps", "3", "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_train_then_eval_records_runs_and_flags_low_pairs(trained_workspace, conn, curator_cmd, tiny_model):
    workspace, version, _ = trained_workspace
    manifest = _train(curator_cmd, workspace, version, tiny_model)
    assert manifest["status"] == "done" and (workspace.path("runs") / manifest["id"] / "adapter").is_dir()
    result = curator_cmd("-w", str(workspace.root), "eval", "--last", "--max-new-tokens", "6", "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["run"] == manifest["id"] and report["test_pairs"] == 3
    assert report["judge"]["enabled"] is False and "[train].judge" in report["judge"]["reason"]
    low = report["eval_low"]["pairs"]
    flagged = conn.execute("SELECT pair_id, score, reason FROM flags WHERE kind = 'eval_low' AND active = 1"
                           ).fetchall()
    assert report["eval_low"]["flagged_in_store"] == len(low) == len(flagged)
    assert {r["pair_id"] for r in flagged} == {p["pair_id"] for p in low}
    stages = dict(conn.execute("SELECT stage, status FROM runs WHERE stage IN ('train', 'eval')").fetchall())
    assert stages == {"train": "done", "eval": "done"}
    # A second evaluation retires the first one's flags in the same transaction as it writes its own.
    again = curator_cmd("-w", str(workspace.root), "eval", "--last", "--max-new-tokens", "6", "--json", timeout=300)
    assert again.returncode == 0, again.stderr
    active = conn.execute("SELECT COUNT(*) FROM flags WHERE kind = 'eval_low' AND active = 1").fetchone()[0]
    total = conn.execute("SELECT COUNT(*) FROM flags WHERE kind = 'eval_low'").fetchone()[0]
    assert active == len(json.loads(again.stdout)["eval_low"]["pairs"]) and total == active + len(flagged)


def test_judge_goes_through_the_engine_to_the_scripted_server(trained_workspace, conn, curator_cmd, tiny_model):
    workspace, version, _ = trained_workspace
    _train(curator_cmd, workspace, version, tiny_model)
    with ScriptedLLM() as server:
        text = workspace.config_path.read_text(encoding="utf-8")
        workspace.config_path.write_text(re.sub(r'(?m)^base_url = ""', f'base_url = "{server.base_url}"', text,
                                                count=1), encoding="utf-8")
        result = curator_cmd("-w", str(workspace.root), "eval", "--last", "--judge", "--max-new-tokens", "4",
                             "--json", env={"OPENAI_API_KEY": "test-key"}, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["judge"]["enabled"] is True
    for side in ("base", "fine_tuned"):
        distribution = report[side]["truthfulness"]["distribution"]
        assert sum(distribution.values()) == report["test_pairs"] and distribution["5"] == report["test_pairs"]
    judged = conn.execute("SELECT COUNT(*) FROM llm_calls WHERE purpose = 'eval'").fetchone()[0]
    assert judged >= 1  # logged (and cached) like every other LLM call


def test_eval_without_a_run_explains_what_to_do(workspace, curator_cmd):
    result = curator_cmd("-w", str(workspace.root), "eval", "--last")
    assert result.returncode == 1 and "no finished training run" in result.stderr
    missing = curator_cmd("-w", str(workspace.root), "train", "0000ffff", "--preset", "smoke")
    assert missing.returncode == 1 and "0000ffff" in missing.stderr


def test_a_planted_key_never_leaks_from_eval_judge_or_serve(trained_workspace, conn, curator_cmd, tiny_model):
    """The truthfulness judge's 401 quoting the key and its verdict quoting it, then `curator serve` called with
    the key: none of it in the store, the run folder or what the commands printed."""
    import os
    import signal
    import subprocess
    import sys
    import threading

    import openai

    workspace, version, _ = trained_workspace
    planted = "Zq7cur4t0rPl4nt3dK3y9x2W"
    env = {"CURATOR_TEST_KEY": planted}
    printed = [json.dumps(_train(curator_cmd, workspace, version, tiny_model))]
    with ScriptedLLM() as server:
        text = workspace.config_path.read_text(encoding="utf-8")
        text = re.sub(r'(?m)^base_url = ""', f'base_url = "{server.base_url}"', text, count=1)
        text = text.replace('api_key_env = "OPENAI_API_KEY"', 'api_key_env = "CURATOR_TEST_KEY"', 1)
        workspace.config_path.write_text(text, encoding="utf-8")
        server.queue("unauthorized")
        refused = curator_cmd("-w", str(workspace.root), "eval", "--last", "--judge", "--max-new-tokens", "4",
                              env=env, timeout=300)
        assert refused.returncode == 1 and "refused" in refused.stderr
        server.queue(*["leak"] * 8)
        judged = curator_cmd("-w", str(workspace.root), "eval", "--last", "--judge", "--max-new-tokens", "4",
                             env=env, timeout=300)
        assert judged.returncode == 0, judged.stderr
        assert server.served["unauthorized"] == 1 and server.served["leak"] >= 1
    printed += [refused.stdout, refused.stderr, judged.stdout, judged.stderr]

    serve = subprocess.Popen([sys.executable, "-m", "curator", "-w", str(workspace.root), "serve", "--last",
                              "--port", "0"], env={**os.environ, **env, "NO_COLOR": "1"}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(serve.stdout.readline()), daemon=True)
        reader.start()
        reader.join(240)
        assert first and first[0].startswith("{"), "curator serve printed no base URL"
        served = json.loads(first[0])
        client = openai.OpenAI(base_url=served["base_url"], api_key=planted, max_retries=0)
        reply = client.chat.completions.create(model=served["model"], max_tokens=4, messages=[
            {"role": "user", "content": f"My key is {planted}; what is FOB?"}])
        assert reply.choices[0].message.role == "assistant"
    finally:
        serve.send_signal(signal.SIGINT)
        rest, errors = serve.communicate(timeout=60)
    printed += [first[0], rest, errors]

    calls = conn.execute("SELECT response, error FROM llm_calls WHERE purpose = 'eval'").fetchall()
    assert any("served with key [redacted]" in (c["response"] or "") for c in calls)
    assert any("Incorrect API key provided: [redacted]" in (c["error"] or "") for c in calls)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    stored = "\n".join(repr(tuple(row)) for t in tables for row in conn.execute(f"SELECT * FROM {t}"))
    files = "\n".join(p.read_bytes().decode("latin-1") for p in workspace.root.rglob("*") if p.is_file())
    assert planted not in stored
    assert planted not in files
    assert planted not in "\n".join(printed)
