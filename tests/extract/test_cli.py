"""The commands as a user runs them: `curator extract`, `--list-failed`, `status`, `--help`, the benchmarks."""

from __future__ import annotations

import json

from .conftest import add_chunks, invoke, lecture, point_at, set_config


def test_extract_json_summary_and_status(workspace, scripted, curator_cmd):
    point_at(workspace, scripted)
    add_chunks(workspace, [lecture(0), lecture(1, "[[scripted: invalid_json, valid]]"),
                           lecture(2, "[[scripted: missing_fields]]")])
    done = curator_cmd("extract", "--json", cwd=workspace.root)  # a real process, as a user runs it
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["succeeded"], summary["repaired"], summary["failed"], summary["pairs"]) == (2, 1, 1, 4)

    failed = json.loads(invoke(workspace, "extract", "--list-failed", "--json").stdout)["failed"]
    assert len(failed) == 1 and "required property" in failed[0]["error"] and failed[0]["raw_output"]

    status = json.loads(invoke(workspace, "status", "--json").stdout)
    assert status["chunks"] == {"done": 2, "failed": 1}
    usage = status["llm_usage"]
    assert usage["calls"] == 5 and usage["errors_by_kind"] == {"invalid": 3}
    assert usage["latency_ms"]["p50"] is not None and usage["estimated_cost"] is None

    text = invoke(workspace, "status").stdout
    assert "LLM usage" in text and "invalid 3" in text


def test_extract_prints_a_readable_summary_and_reruns_send_nothing(workspace, scripted):
    point_at(workspace, scripted)
    add_chunks(workspace, [lecture(0), lecture(1)])
    first = invoke(workspace, "extract")
    assert first.exit_code == 0, first.output
    assert "Pairs made: 4" in first.stdout and "succeeded" in first.stdout
    again = invoke(workspace, "extract")
    assert "Nothing to extract" in again.stdout
    assert len(scripted.requests) == 2


def test_cost_estimate_appears_when_prices_are_set(workspace, scripted):
    point_at(workspace, scripted, price_in_per_mtok=2.5, price_out_per_mtok=10.0)
    add_chunks(workspace, [lecture(0)])
    invoke(workspace, "extract")
    usage = json.loads(invoke(workspace, "status", "--json").stdout)["llm_usage"]
    expected = usage["tokens_in"] / 1e6 * 2.5 + usage["tokens_out"] / 1e6 * 10.0
    assert usage["estimated_cost"] == round(expected, 4) and expected > 0


def test_endpoint_down_stops_with_a_clear_error_and_keeps_chunks(workspace):
    from curator.llm.local import free_port

    set_config(workspace, "llm", base_url=f"http://127.0.0.1:{free_port()}/v1", max_retries=0, timeout_s=2)
    set_config(workspace, "extract", stop_after_errors=2)
    add_chunks(workspace, [lecture(i) for i in range(5)])
    result = invoke(workspace, "extract")
    assert result.exit_code == 1
    assert "failed 2 times in a row" in result.stderr and "run `curator extract` again" in result.stderr
    status = json.loads(invoke(workspace, "status", "--json").stdout)
    assert status["chunks"] == {"pending": 5}


def test_usage_errors_are_one_line(workspace, curator_cmd):
    result = curator_cmd("extract", "--regenerate", cwd=workspace.root)
    assert result.returncode == 1 and "--regenerate needs chunk ids" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_explains_every_option():
    for command in (["extract"], ["llm", "serve"], ["bench", "extract"], ["bench", "llm"]):
        result = invoke(None, *command, "--help")
        assert result.exit_code == 0
        assert "--json" in result.output or command == ["llm", "serve"]
    extract_help = invoke(None, "extract", "--help").output
    for option in ("--retry-failed", "--regenerate", "--pair", "--limit", "--base-url", "--list-failed"):
        assert option in extract_help


def test_bench_extract_reports_the_issue_fields():
    result = invoke(None, "bench", "extract", "--chunks", "40", "--latency", "0.01", "--capacity", "8",
                    "--naive-sample", "3", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    for key in ("chunks", "seconds", "ideal_seconds", "ratio", "client_cpu_s", "naive_seconds"):
        assert key in doc
    assert doc["chunks"] == 40 and doc["succeeded"] == 40 and doc["ideal_seconds"] == 0.05
    assert doc["cached_requests_sent"] == 0 and doc["cached_pairs"] == doc["pairs"] == 80
    assert doc["rerun_requests_sent"] == 0


def test_bench_llm_measures_an_endpoint(scripted):
    result = invoke(None, "bench", "llm", "--base-url", scripted.base_url, "--model", "scripted-model",
                    "--levels", "1,4", "--requests", "8", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [lv["concurrency"] for lv in doc["levels"]] == [1, 4]
    assert all(lv["json_valid_rate"] == 1.0 and lv["errors"] == 0 for lv in doc["levels"])
    assert doc["suggested_concurrency"] in (1, 4)
    assert len(scripted.requests) == 16
