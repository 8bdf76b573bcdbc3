"""Moderation against a tiny local fake of OpenAI's moderation endpoint, and when moderation is off."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from curator.errors import CuratorError
from curator.filters.run import chosen_filters, moderation_state, run_filters
from curator.status import workspace_status
from tests.filters.conftest import active, add_pairs, set_filters

CATEGORIES = ("harassment", "hate", "self-harm", "sexual", "violence")


class FakeModeration(BaseHTTPRequestHandler):
    """POST /v1/moderations: texts mentioning "explosive" are flagged for violence."""

    requests: ClassVar[list[dict]] = []
    fail_next = 0
    reply_next: ClassVar[list[dict]] = []  # replies sent as they are, instead of the real answer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeModeration.requests.append(body)
        if FakeModeration.fail_next:
            FakeModeration.fail_next -= 1
            self._send(500, {"error": {"message": "overloaded", "type": "server_error"}})
            return
        if FakeModeration.reply_next:
            self._send(200, FakeModeration.reply_next.pop(0))
            return
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        results = []
        for text in texts:
            bad = "explosive" in text.lower()
            scores = {c: (0.93 if bad and c == "violence" else 0.01) for c in CATEGORIES}
            results.append({"flagged": bad, "categories": {c: s > 0.5 for c, s in scores.items()},
                            "category_scores": scores, "category_applied_input_types": {}})
        self._send(200, {"id": f"modr-{len(FakeModeration.requests)}", "model": body["model"], "results": results})

    def _send(self, status: int, doc: dict) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake() -> Iterator[str]:
    FakeModeration.requests, FakeModeration.fail_next, FakeModeration.reply_next = [], 0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeModeration)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


PAIRS = [("How do I ship lithium batteries by air?", "Follow the IATA dangerous goods rules."),
         ("How do I hide explosive material in a container?", "You should not; it is illegal."),
         ("What is a reefer container?", "A refrigerated container.")]


def test_moderation_is_off_without_an_openai_endpoint(workspace):
    assert "moderation" not in chosen_filters(None, workspace.config)
    assert moderation_state(workspace.config).startswith("off")
    assert workspace_status(workspace)["moderation"].startswith("off")
    with pytest.raises(CuratorError, match="needs an OpenAI endpoint"):
        chosen_filters(["moderation"], workspace.config)


def test_flags_what_the_endpoint_flags_in_batches_and_sends_nothing_twice(workspace, fake, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    set_filters(workspace, "llm", base_url=fake, backend="openai", model="gpt-test")
    set_filters(workspace, moderation_batch_size=2)
    ids = add_pairs(workspace, PAIRS)
    assert "moderation" in chosen_filters(None, workspace.config)
    assert moderation_state(workspace.config).startswith("on")
    counts = run_filters(workspace, only=["moderation"])
    assert counts["moderation"]["sent"] == 3 and len(FakeModeration.requests) == 2
    assert FakeModeration.requests[0]["model"] == "omni-moderation-latest"
    conn = workspace.connect()
    flags = active(conn, "moderation")
    assert [f["pair_id"] for f in flags] == [ids[1]]
    assert "violence" in flags[0]["reason"] and flags[0]["score"] == pytest.approx(0.93)
    stored = conn.execute("SELECT request, response FROM llm_calls WHERE purpose = 'moderation'").fetchall()
    assert len(stored) == 2 and all("sk-test" not in (r["request"] + r["response"]) for r in stored)

    counts = run_filters(workspace, only=["moderation"])  # unchanged texts are not sent again
    assert counts["moderation"]["unchanged"] == 3 and len(FakeModeration.requests) == 2
    assert [f["pair_id"] for f in active(conn, "moderation")] == [ids[1]]
    conn.close()


def test_a_failing_batch_is_recorded_and_keeps_earlier_scores(workspace, fake, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    set_filters(workspace, "llm", base_url=fake, backend="openai", model="gpt-test", max_retries=0)
    ids = add_pairs(workspace, PAIRS)
    run_filters(workspace, only=["moderation"])
    conn = workspace.connect()
    conn.execute("UPDATE qa_pairs SET answer = answer || ' (edited)' WHERE id = ?", (ids[1],))
    FakeModeration.fail_next = 1
    counts = run_filters(workspace, only=["moderation"])
    assert counts["moderation"]["failed"] == 1
    assert [f["pair_id"] for f in active(conn, "moderation")] == [ids[1]]
    error = conn.execute("SELECT message FROM errors WHERE stage = 'filter'").fetchone()
    assert "moderation request of 1 texts failed" in error["message"]
    conn.close()


@pytest.mark.parametrize("reply, problem", [
    ({"id": "modr-x", "model": "omni-moderation-latest"}, "no `results` list"),
    ({"id": "modr-x", "model": "omni-moderation-latest", "results": None}, "no `results` list"),
    ({"id": "modr-x", "model": "omni-moderation-latest", "results": [
        {"flagged": False, "categories": {}, "category_scores": {}, "category_applied_input_types": {}}]},
     "1 result(s) for 3 text(s)"),
])
def test_a_reply_of_the_wrong_shape_is_a_recorded_error_not_a_crash(workspace, fake, monkeypatch, curator_cmd,
                                                                    reply, problem):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    set_filters(workspace, "llm", base_url=fake, backend="openai", model="gpt-test", max_retries=0)
    add_pairs(workspace, PAIRS)
    FakeModeration.reply_next = [reply]
    res = curator_cmd("-w", str(workspace.root), "filter", "--only", "moderation")
    assert "Traceback" not in res.stderr and "TypeError" not in res.stdout + res.stderr, res.stderr
    conn = workspace.connect()
    error = conn.execute("SELECT message FROM errors WHERE stage = 'filter'").fetchone()
    assert error is not None and problem in error["message"] and "was not usable" in error["message"]
    assert active(conn, "moderation") == []  # nothing scored from a reply that does not fit
    assert FakeModeration.reply_next == []
    conn.close()
