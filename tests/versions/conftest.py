"""A small workspace with pairs of every origin, their lineage (chunks, transcript cues, LLM calls) and reviews."""

from __future__ import annotations

from pathlib import Path

import pytest

from curator.store import transaction
from curator.store.catalog import add_chunk, add_cues, add_document, add_source
from curator.store.flags import add_flag
from curator.store.llm_calls import log_call
from curator.store.pairs import add_pair, set_status
from curator.workspace import Workspace

LECTURE = ("Incoterms define who pays for freight. FOB means the seller loads the goods on board. "
           "CIF adds cost, insurance and freight to the seller's duties.")


def _seed(conn, reviewer: str = "kim") -> dict[str, int]:
    """Pairs of the four origins; returns their ids by name. Everything accepted unless named otherwise."""
    ids: dict[str, int] = {}
    src_t = add_source(conn, "file", "/corpus/transcripts/incoterms_ko.srt", doc_kind="transcript")
    doc_t = add_document(conn, src_t, "/corpus/transcripts/incoterms_ko.srt", "transcript", LECTURE, language="en")
    add_cues(conn, doc_t, [
        {"char_start": 0, "char_end": 39, "time_start": 12.0, "time_end": 15.5},
        {"char_start": 39, "char_end": 88, "time_start": 15.5, "time_end": 21.0},
        {"char_start": 88, "char_end": len(LECTURE), "time_start": 21.0, "time_end": 27.25},
    ])
    chunk = add_chunk(conn, doc_t, 0, LECTURE, 0, len(LECTURE), 40, time_start=12.0, time_end=27.25)
    call = log_call(conn, request_hash="h1", purpose="extract", model="gemma-3-270m", prompt_version="qa-v2",
                    chunk_id=chunk, request={"messages": []}, response="{}", status="ok")
    ids["llm"] = add_pair(conn, question="What does FOB mean?", answer="The seller loads the goods on board.",
                          origin="llm", actor="machine:extract", evidence="FOB means the seller loads the goods on board",
                          evidence_start=39, evidence_end=84, evidence_score=98.0, chunk_id=chunk, document_id=doc_t,
                          source_id=src_t, llm_call_id=call, prompt_version="qa-v2", model="gemma-3-270m",
                          language="en", template="qa")
    src_g = add_source(conn, "file", "/corpus/glossary/trade_terms_ko.json", doc_kind="glossary")
    doc_g = add_document(conn, src_g, "/corpus/glossary/trade_terms_ko.json#entry-1", "glossary_entry",
                         "신용장: 은행의 지급 확약", language="ko")
    ids["glossary"] = add_pair(conn, question="신용장(L/C)의 뜻은 무엇인가요?", answer="은행이 대금 지급을 확약하는 증서입니다.",
                               origin="glossary", actor="machine:format", document_id=doc_g, source_id=src_g,
                               language="ko", template="glossary_term_to_definition_ko")
    src_e = add_source(conn, "file", "/corpus/exam/exam_bank_en.jsonl", doc_kind="exam")
    doc_e = add_document(conn, src_e, "/corpus/exam/exam_bank_en.jsonl#entry-3", "exam_item",
                         "Which Incoterm ...", language="en")
    ids["exam"] = add_pair(conn, question="Which Incoterm puts insurance on the seller?\nA) FOB B) CIF",
                           answer="B) CIF", origin="exam", actor="machine:format", document_id=doc_e,
                           source_id=src_e, language="en", template="exam_en", held_out=1)
    src_i = add_source(conn, "file", "/corpus/qa/faq_ko.jsonl", doc_kind="qa")
    doc_i = add_document(conn, src_i, "/corpus/qa/faq_ko.jsonl#entry-2", "text", "FAQ", language="ko")
    for n in range(12):
        ids[f"import{n}"] = add_pair(conn, question=f"수출 신고는 언제 하나요? ({n})", answer=f"선적 전에 합니다. ({n})",
                                     origin="import", actor="machine:import", document_id=doc_i, source_id=src_i,
                                     language="ko", template="import")
    ids["dup"] = add_pair(conn, question="What does FOB stand for?", answer="Free On Board.", origin="import",
                          actor="machine:import", document_id=doc_i, source_id=src_i, language="en")
    ids["low_judge"] = add_pair(conn, question="Why?", answer="Because.", origin="import", actor="machine:import",
                                document_id=doc_i, source_id=src_i, language="en")
    ids["good_judge"] = add_pair(conn, question="What is a bill of lading?",
                                 answer="A document of title issued by the carrier.", origin="import",
                                 actor="machine:import", document_id=doc_i, source_id=src_i, language="en")
    ids["rejected"] = add_pair(conn, question="Rejected question?", answer="Rejected answer.", origin="import",
                               actor="machine:import", document_id=doc_i, source_id=src_i, language="en")
    ids["pending"] = add_pair(conn, question="Pending question?", answer="Pending answer.", origin="import",
                              actor="machine:import", document_id=doc_i, source_id=src_i, language="en")
    for name, pair_id in ids.items():
        if name != "pending":
            set_status(conn, pair_id, "rejected" if name == "rejected" else "accepted", reviewer)
    add_flag(conn, ids["dup"], "near_duplicate", score=0.93, reason="near duplicate of FOB question")
    add_flag(conn, ids["low_judge"], "judge", score=3, reason="vague")
    add_flag(conn, ids["good_judge"], "judge", score=8, reason="clear")
    retired = add_flag(conn, ids["import0"], "duplicate", score=1.0, reason="old run")
    conn.execute("UPDATE flags SET active = 0 WHERE id = ?", (retired,))
    return ids


@pytest.fixture
def seeded(workspace: Workspace) -> tuple[Workspace, dict[str, int]]:
    """The workspace and the ids of its pairs by name."""
    conn = workspace.connect()
    try:
        with transaction(conn):
            ids = _seed(conn)
    finally:
        conn.close()
    return workspace, ids


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch) -> Path:
    """Keep datasets' cache (load_dataset) inside the test's folder, offline."""
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


@pytest.fixture
def seed_pairs():
    """A function that writes the fixture's pairs into any store connection."""
    def seed(conn) -> dict[str, int]:
        with transaction(conn):
            return _seed(conn)
    return seed
