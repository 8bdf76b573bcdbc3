"""Leak-free splits: the pairs made from one source item land on the same side, and stay there.

Glossaries and exam banks go through the real ingest (formatters make two pairs per glossary entry);
LLM pairs are written as extraction writes them, several per chunk. Korean and English both.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from curator.ingest.add import add_paths
from curator.store import transaction
from curator.store.catalog import add_chunk, add_document, add_source
from curator.store.pairs import add_pair
from curator.versions import create_version
from curator.versions.identity import GROUPINGS, leaked_test_pairs, split_group, split_groups
from curator.versions.stats import version_stats
from curator.versions.verify import verify_version


def _write_sources(folder, n: int, start: int = 0) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    ko = folder / f"용어집_{start}.json"
    ko.write_text(json.dumps([{"term": f"신용장{i}", "eng_term": f"Letter of credit {i}",
                               "description": f"은행이 수입자를 대신해 대금 지급을 약속하는 {i}번째 증서입니다."}
                              for i in range(start, start + n)], ensure_ascii=False), encoding="utf-8")
    en = folder / f"glossary_{start}.jsonl"
    en.write_text("\n".join(json.dumps({"term": f"Bill of lading {i}",
                                        "definition": f"A document of title number {i} issued by the carrier."})
                            for i in range(start, start + n)), encoding="utf-8")
    exam = folder / f"exam_{start}.jsonl"
    exam.write_text("\n".join(json.dumps({"id": f"q{i}", "question": f"Which Incoterm number {i} adds insurance?",
                                          "options": ["FOB", "CIF", "EXW", "DAP"], "answer": 2})
                              for i in range(start, start + n)), encoding="utf-8")
    return [ko, en, exam]


def _add_llm_pairs(conn, n_chunks: int, tag: str) -> None:
    """Three LLM pairs per chunk of one document, Korean and English questions mixed."""
    source = add_source(conn, "file", f"/corpus/lecture_{tag}.md", doc_kind="document")
    doc = add_document(conn, source, f"/corpus/lecture_{tag}.md", "markdown", f"lecture {tag}", language="ko")
    for seq in range(n_chunks):
        chunk = add_chunk(conn, doc, seq, f"chunk {seq}", seq * 100, seq * 100 + 99, 25)
        for k, (q, a) in enumerate([(f"{tag} 청크 {seq}의 요점은?", f"요점 {seq}입니다."),
                                    (f"What does chunk {seq} of {tag} say?", f"It says point {seq}."),
                                    (f"Why point {seq} ({tag})?", f"Because of reason {seq}.")]):
            add_pair(conn, question=q, answer=a, origin="llm", actor="machine:extract", chunk_id=chunk,
                     document_id=doc, source_id=source, language="ko" if k == 0 else "en")


def _ingest(ws, paths, n_chunks: int, tag: str) -> None:
    conn = ws.connect()
    try:
        add_paths(conn, paths, kind=None, config=ws.config)
        with transaction(conn):
            _add_llm_pairs(conn, n_chunks, tag)
            conn.execute("UPDATE qa_pairs SET status = 'accepted' WHERE status = 'pending'")
    finally:
        conn.close()


def _rows(version) -> pl.DataFrame:
    return pl.read_parquet(version.path / "data.parquet",
                           columns=["lineage_id", "split", "origin", "language", "chunk_id", "document_id",
                                    "source_id", "question"])


@pytest.fixture
def grouped(workspace, tmp_path):
    _ingest(workspace, _write_sources(tmp_path / "in", 40), 30, "first")
    workspace.config["split"]["test_size"] = 0.3
    return workspace


def test_no_source_item_straddles_the_split(grouped):
    version = create_version(grouped, message="by item")
    rows = _rows(version)
    assert set(rows["origin"]) == {"glossary", "exam", "llm"}
    assert set(rows["language"]) >= {"ko", "en"}
    # Every item's pairs are on one side: both directions of each glossary entry, each chunk's three questions.
    sides = rows.group_by("chunk_id").agg(pl.col("split").n_unique().alias("sides"), pl.len().alias("pairs"))
    assert sides["sides"].max() == 1
    assert set(sides["pairs"]) == {1, 2, 3}  # exam items, glossary entries, LLM chunks
    # ...and yet both sides hold some of each origin and language: the split is not trivially all-one-side.
    for column in ("origin", "language"):
        per_side = rows.group_by(column).agg(pl.col("split").n_unique())
        assert per_side["split"].min() == 2, per_side
    assert version.manifest["counts"]["leaked_test_pairs"] == 0
    assert version.manifest["split"]["group_by"] == "item"
    assert verify_version(grouped, version.id).ok


def test_a_per_pair_split_leaks_and_says_so(grouped):
    grouped.config["split"]["group_by"] = "pair"
    version = create_version(grouped, message="per pair")
    rows = _rows(version)
    straddling = rows.group_by("chunk_id").agg(pl.col("split").n_unique()).filter(pl.col("split") == 2).height
    assert straddling > 0
    leaked = version.manifest["counts"]["leaked_test_pairs"]
    assert leaked > 0 and leaked == leaked_test_pairs(rows, "item")
    assert "group_by" not in version.manifest["split"]  # the old settings, so old version ids still verify
    assert verify_version(grouped, version.id).ok


def test_stats_report_shared_groups_at_every_level(grouped):
    version = create_version(grouped, message="by item")
    report = version_stats(grouped, version.id)
    leaks = report["split"]["leaked_test_pairs"]
    assert report["split"]["group_by"] == "item"
    assert leaks["item"] == 0
    assert leaks["document"] > 0  # the LLM chunks of the lecture (and the entries of a file) share documents


@pytest.mark.parametrize("group_by", ["document", "source"])
def test_coarser_groupings_keep_each_document_or_source_whole(grouped, group_by):
    grouped.config["split"]["group_by"] = group_by
    grouped.config["split"]["test_size"] = 0.5
    rows = _rows(create_version(grouped, message=group_by))
    column = "document_id" if group_by == "document" else "source_id"
    assert rows.group_by(column).agg(pl.col("split").n_unique())["split"].max() == 1
    assert leaked_test_pairs(rows, group_by) == 0 and leaked_test_pairs(rows, "item") == 0


def test_a_pair_keeps_its_split_as_items_are_added(grouped, tmp_path):
    first = dict(_rows(create_version(grouped, message="first")).select("lineage_id", "split").iter_rows())
    _ingest(grouped, _write_sources(tmp_path / "more", 40, start=40), 30, "second")
    second = dict(_rows(create_version(grouped, message="second")).select("lineage_id", "split").iter_rows())
    assert len(second) > len(first)
    assert all(second[lineage] == side for lineage, side in first.items())


def test_larger_test_size_only_moves_whole_groups_to_test(grouped):
    small = _rows(create_version(grouped, message="0.1", test_size=0.1))
    large = _rows(create_version(grouped, message="0.4", test_size=0.4))
    was_test = set(small.filter(pl.col("split") == "test")["lineage_id"])
    assert was_test and was_test <= set(large.filter(pl.col("split") == "test")["lineage_id"])
    assert leaked_test_pairs(large, "item") == 0


def test_held_out_item_takes_its_whole_group_to_test(workspace):
    conn = workspace.connect()
    with transaction(conn):
        source = add_source(conn, "file", "/corpus/bank.jsonl", doc_kind="exam")
        doc = add_document(conn, source, "/corpus/bank.jsonl#1", "exam_item", "item", language="en")
        chunk = add_chunk(conn, doc, 0, "item", 0, 4, 1)
        add_pair(conn, question="Held out?", answer="Yes.", origin="exam", actor="t", chunk_id=chunk,
                 document_id=doc, source_id=source, held_out=1)
        add_pair(conn, question="Same item, other wording?", answer="Yes.", origin="exam", actor="t",
                 chunk_id=chunk, document_id=doc, source_id=source)
        conn.execute("UPDATE qa_pairs SET status = 'accepted'")
    conn.close()
    version = create_version(workspace, message="held out", test_size=0.0)
    assert set(_rows(version)["split"]) == {"test"}
    assert verify_version(workspace, version.id).ok


def test_the_group_of_one_pair_matches_the_groups_of_a_frame():
    frame = pl.DataFrame({"lineage_id": ["a", "b", "c", "d"], "chunk_id": [7, None, None, None],
                          "document_id": [3, 4, None, None], "source_id": [1, 1, 2, None]})
    assert split_groups(frame, "item").to_list() == ["chunk:7", "document:4", "source:2", "d"]
    assert split_groups(frame, "document").to_list() == ["document:3", "document:4", "source:2", "d"]
    assert split_groups(frame, "source").to_list() == ["source:1", "source:1", "source:2", "d"]
    assert split_groups(frame, "pair").to_list() == ["a", "b", "c", "d"]
    for by in GROUPINGS:
        assert [split_group(row, by) for row in frame.iter_rows(named=True)] == split_groups(frame, by).to_list()
    # A qa_pairs row names its document and source pair_document_id / pair_source_id in the version query.
    assert split_group({"lineage_id": "x", "chunk_id": None, "pair_document_id": 9}, "item") == "document:9"
    with pytest.raises(ValueError, match="unknown split grouping"):
        split_group({"lineage_id": "x"}, "chapter")
