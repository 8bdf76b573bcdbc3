from __future__ import annotations

from itertools import pairwise

from curator.ingest.chunking import chunk_document, plan_text_chunks, plan_transcript_chunks
from curator.ingest.segment import estimate_tokens, paragraph_spans, sentences
from curator.store import transaction
from curator.store.catalog import add_cues, add_document, add_source

KO_SENTENCE = "수출자는 신용장 조건과 일치하는 서류를 은행에 제시해야 대금을 받을 수 있습니다. "
EN_SENTENCE = "The exporter must present documents that comply with the credit to get paid. "


def _prose(sentence: str, paragraphs: int, per_paragraph: int) -> str:
    return "\n\n".join((sentence * per_paragraph).strip() for _ in range(paragraphs))


def test_korean_tokens_are_estimated_denser_than_english():
    assert estimate_tokens("가" * 300) == 200
    assert estimate_tokens("a" * 300) == 75


def test_chunks_cover_the_text_on_sentence_boundaries_within_the_target():
    for sentence in (KO_SENTENCE, EN_SENTENCE):
        text = _prose(sentence, paragraphs=6, per_paragraph=7)
        plans = plan_text_chunks(text, target_tokens=120, overlap_tokens=30)
        assert len(plans) > 3
        for p in plans:
            piece = text[p.start:p.end]
            assert p.tokens <= 120
            assert piece.endswith(".") and piece[0] in "수T"
        covered = set()
        for p in plans:
            covered.update(range(p.start, p.end))
        assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_a_cut_inside_a_paragraph_repeats_the_last_sentences_as_overlap():
    text = (EN_SENTENCE * 20).strip()  # one paragraph, so every cut is inside it
    plans = plan_text_chunks(text, target_tokens=100, overlap_tokens=40)
    for a, b in pairwise(plans):
        assert b.start < a.end
        assert estimate_tokens(text[b.start:a.end]) <= 40


def test_chunks_prefer_paragraph_ends_and_keep_headings_with_their_text():
    text = "# Title\n\n" + (EN_SENTENCE * 3).strip() + "\n\n## Second part\n\n" + (EN_SENTENCE * 3).strip()
    plans = plan_text_chunks(text, target_tokens=70, overlap_tokens=20)
    assert text[plans[1].start:].startswith("## Second part")


def test_each_sentence_knows_its_paragraph_whatever_the_blank_lines_hold():
    # Paragraphs end at a line break, spaces or tabs, and a second line break; other white space between
    # line breaks (a carriage return, an ideographic space) keeps the paragraph going.
    breaks = ["\n\n", "\n \t\n", "\n\n\n   ", "\r\n\r\n", "\n\u3000\n\u00a0", "\n\n\n\n", "\n\t\n\n "]
    text = "  " + "".join(f"Part {i} starts here. It ends here.{b}" for i, b in enumerate(breaks)) + "Last one."
    table = sentences(text, max_tokens=400)
    starts = [a for a, _ in paragraph_spans(text)]
    assert len(starts) == len(breaks) - 1
    for start, paragraph in zip(table.starts, table.paragraphs):
        assert starts[paragraph] <= start and (paragraph + 1 == len(starts) or start < starts[paragraph + 1])
    assert sorted(set(table.paragraphs)) == list(range(len(starts)))


def test_a_sentence_longer_than_the_target_is_cut_at_spaces():
    text = "word " * 1000
    plans = plan_text_chunks(text, target_tokens=50, overlap_tokens=0)
    assert all(p.tokens <= 50 for p in plans)
    assert all(not text[p.start:p.end].endswith("wor") for p in plans)


def test_transcript_windows_keep_their_times():
    sentences = [f"Sentence number {i} is here." for i in range(40)]
    text = " ".join(sentences)
    cues, pos = [], 0
    for i, s in enumerate(sentences):
        cues.append({"char_start": pos, "char_end": pos + len(s), "time_start": i * 10.0, "time_end": i * 10.0 + 9})
        pos += len(s) + 1
    plans = plan_transcript_chunks(text, cues, window_s=60, target_tokens=400)
    assert len(plans) == 7
    for p in plans:
        assert p.time_end - p.time_start <= 60
        first = int(text[p.start:p.end].split()[2])
        assert p.time_start == first * 10.0
    assert plans[0].time_end == 59.0 and plans[-1].time_end == 399.0


def test_chunk_document_stores_spans_and_is_idempotent(conn, workspace):
    text = _prose(KO_SENTENCE, 4, 6)
    with transaction(conn):
        source = add_source(conn, "file", "/x.txt")
        doc = add_document(conn, source, "/x.txt", "text", text)
        n = chunk_document(conn, doc, workspace.config)
        assert chunk_document(conn, doc, workspace.config) == 0
    rows = conn.execute("SELECT * FROM chunks WHERE document_id = ? ORDER BY seq", (doc,)).fetchall()
    assert len(rows) == n > 1
    assert all(r["text"] == text[r["char_start"]:r["char_end"]] for r in rows)
    assert {r["extract_status"] for r in rows} == {"pending"}


def test_transcript_document_chunks_take_window_from_config(conn, workspace):
    text = " ".join(f"Point {i} matters." for i in range(30))
    cues, pos = [], 0
    for i, s in enumerate(text.split(" matters. ")):
        piece = s + " matters." if not s.endswith("matters.") else s
        cues.append({"char_start": pos, "char_end": pos + len(piece), "time_start": i * 5.0,
                     "time_end": i * 5.0 + 4})
        pos += len(piece) + 1
    config = {**workspace.config, "chunking": {**workspace.config["chunking"], "transcript_window_s": 30}}
    with transaction(conn):
        source = add_source(conn, "file", "/t.srt")
        doc = add_document(conn, source, "/t.srt", "transcript", text)
        add_cues(conn, doc, cues)
        chunk_document(conn, doc, config)
    rows = conn.execute("SELECT time_start, time_end FROM chunks WHERE document_id = ? ORDER BY seq", (doc,))
    spans = [tuple(r) for r in rows]
    assert spans[0] == (0.0, 29.0) and all(e - s <= 30 for s, e in spans)
