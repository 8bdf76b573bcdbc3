"""The judge always sees a reference: the source chunk, else the evidence, else the entry or item the pair came from."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from curator.filters.run import run_filters
from curator.store import transaction
from curator.store.catalog import add_document, add_source
from tests.filters.conftest import add_pairs, set_filters
from tests.support.scripted_llm import ScriptedLLM

ENTRY = "demurrage: a charge paid when containers stay at the terminal past the free time"


@pytest.fixture
def scripted() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as server:
        yield server


def test_a_glossary_pair_is_judged_against_its_entry(workspace, scripted):
    set_filters(workspace, "llm", base_url=scripted.base_url, backend="openai", model="scripted-model",
                max_retries=0, timeout_s=10, concurrency=2)
    conn = workspace.connect()
    with transaction(conn):
        source = add_source(conn, "file", "/corpus/glossary.json", doc_kind="glossary")
        doc = add_document(conn, source, "/corpus/glossary.json#entry-1", "glossary_entry", ENTRY)
    conn.close()
    add_pairs(workspace, [
        {"question": "What is demurrage?", "answer": "A charge for keeping containers too long.", "document_id": doc},
        {"question": "What is a tariff?", "answer": "A tax on imports."}], origin="glossary")
    run_filters(workspace, only=["judge"])
    conn = workspace.connect()
    requests = [json.loads(r[0]) for r in conn.execute("SELECT request FROM llm_calls WHERE purpose = 'judge'")]
    conn.close()
    users = [m["content"] for r in requests for m in r["messages"] if m["role"] == "user"]
    assert any(ENTRY in u and "What is demurrage?" in u for u in users)
    assert any("(no source text for this pair)" in u and "What is a tariff?" in u for u in users)
