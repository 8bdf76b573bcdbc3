"""The ingest stage records its own run, whoever calls it (the CLI, the app, a script)."""

import json

from curator.ingest.stage import run_ingest
from curator.store.runs import get_run


def test_run_ingest_records_a_done_run_with_its_counts(workspace, conn, sample_dir):
    seen = []
    run_id, reports = run_ingest(conn, [sample_dir / "glossary"], kind=None, config=workspace.config,
                                 on_file=seen.append)
    run = get_run(conn, run_id)
    assert run["stage"] == "ingest" and run["status"] == "done"
    counts = json.loads(run["counts"]) if isinstance(run["counts"], str) else run["counts"]
    assert counts["files"] == len(reports) == len(seen) > 0
    assert counts["added"] == sum(r.status == "added" for r in reports) > 0


def test_a_second_run_adds_nothing_and_is_recorded_too(workspace, conn, sample_dir):
    run_ingest(conn, [sample_dir / "glossary"], kind=None, config=workspace.config)
    run_id, reports = run_ingest(conn, [sample_dir / "glossary"], kind=None, config=workspace.config)
    assert {r.status for r in reports} == {"unchanged"}
    assert conn.execute("SELECT COUNT(*) FROM runs WHERE stage = 'ingest' AND status = 'done'").fetchone()[0] == 2
    assert get_run(conn, run_id)["status"] == "done"
