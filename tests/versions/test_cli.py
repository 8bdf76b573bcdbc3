"""The version commands as a user runs them: one JSON document with --json, one-line errors, help for every option."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from curator.cli import app


def _run_json(curator_cmd, ws, *args):
    res = curator_cmd("-w", str(ws.root), *args, "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_create_list_show_from_the_command_line(seeded, curator_cmd):
    ws, _ = seeded
    created = _run_json(curator_cmd, ws, "version", "create", "-m", "from the CLI", "--seed", "5")
    assert created["created"] is True and created["pairs"] == 16
    assert created["manifest"]["split"]["seed"] == 5
    listed = _run_json(curator_cmd, ws, "version", "list")
    assert [v["id"] for v in listed["versions"]] == [created["id"]]
    shown = _run_json(curator_cmd, ws, "version", "show", created["id"][:5])
    assert shown["manifest"]["message"] == "from the CLI"


def test_errors_are_one_line_and_exit_non_zero(workspace, curator_cmd):
    empty = curator_cmd("-w", str(workspace.root), "version", "create", "-m", "nothing")
    assert empty.returncode == 1
    assert empty.stderr.strip().startswith("error: nothing to version")
    missing = curator_cmd("-w", str(workspace.root), "version", "show", "abcdef")
    assert missing.returncode == 1 and "no version 'abcdef'" in missing.stderr
    bad = curator_cmd("-w", str(workspace.root), "export", "../x", "--format", "jsonl")
    assert bad.returncode == 1 and "not a version id" in bad.stderr


@pytest.mark.parametrize("command", [("version", "create"), ("version", "list"), ("version", "show"),
                                     ("version", "diff"), ("version", "verify"), ("version", "checkout"),
                                     ("version", "stats"), ("export",), ("bench", "versions")])
def test_every_command_explains_itself(command):
    res = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert res.exit_code == 0
    assert "not built yet" not in res.output
    options = [line for line in res.output.splitlines() if line.startswith("│") and " --" in line]
    assert options, res.output
    assert all(len(line.split()) >= 6 for line in options), res.output  # │ --name <type> and a sentence │


@pytest.mark.slow
def test_bench_versions_prints_the_figures(curator_cmd, tmp_path):
    res = curator_cmd("bench", "versions", "--pairs", "3000", "--workdir", str(tmp_path), "--json", timeout=300)
    assert res.returncode == 0, res.stderr
    figures = json.loads(res.stdout)
    assert figures["pairs"] == 3000
    for key in ("create_s", "diff_s", "export_jsonl_s", "verify_s", "peak_rss_mb", "create_cpu_s"):
        assert figures[key] > 0
    assert figures["diff_counts"]["changed"] == figures["changes_made"]["edited"]
    assert list(tmp_path.iterdir()) == []  # the generated workspace is removed afterwards
