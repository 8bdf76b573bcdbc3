"""The bundled local model for real: llama.cpp server, Gemma 3 270M, one short chunk, a schema-valid answer."""

from __future__ import annotations

import importlib.util
import json

import pytest

from curator.extract.extractor import extraction_schema
from curator.extract.stage import run_extraction
from curator.llm.parsing import extract_json, schema_errors

from .conftest import add_chunks, set_config

pytestmark = [
    pytest.mark.slow,
    pytest.mark.llama,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                       reason="llama-cpp-python is not installed (the `local` extra)"),
]

CHUNK = ("Under FOB terms, the seller delivers the goods on board the vessel at the port of shipment. "
         "The risk passes to the buyer when the goods are on board.")


def test_embedded_model_extracts_schema_valid_json(workspace, conn):
    set_config(workspace, "llm", base_url="", max_tokens=256, timeout_s=300)
    set_config(workspace, "extract", max_pairs_per_chunk=1)
    add_chunks(workspace, [CHUNK])
    started = []
    summary = run_extraction(workspace, on_start=lambda n, endpoint: started.append(endpoint))
    assert started[0].base_url.startswith("http://127.0.0.1:") and started[0].backend == "llamacpp"
    assert summary.adds_up and summary.requests_sent >= 1 and summary.errored == 0
    calls = conn.execute("SELECT response, status, model FROM llm_calls ORDER BY id").fetchall()
    schema = extraction_schema(1)
    valid = [c for c in calls if c["status"] == "ok"]
    for c in valid:
        document, problem = extract_json(c["response"])
        assert problem is None and schema_errors(schema, document) == []
        assert c["model"] == "gemma-3-270m"
    # grammar-constrained output is JSON of the schema's shape even when the checks reject it
    first, _ = extract_json(calls[0]["response"])
    assert first is None or isinstance(first.get("qa_pairs"), list)
    if summary.succeeded:
        pair = conn.execute("SELECT question, evidence, evidence_score FROM qa_pairs").fetchone()
        assert pair["question"].endswith("?") and pair["evidence"] in CHUNK and pair["evidence_score"] == 100
    else:
        assert json.loads(json.dumps(summary.as_dict()))["failed"] == 1
    # the server was stopped with the run
    from curator.llm.local import port_is_free
    assert port_is_free(int(started[0].base_url.rsplit(":", 1)[1].split("/")[0]))
