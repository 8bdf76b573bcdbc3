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


# Shapes of trafilatura's Markdown of the Python documentation: prose hard-wrapped at about 75 columns, a code
# block glued to the paragraph after it, list items and table rows.
WRAPPED = ("`setlocale()` is not thread-safe on most systems. Applications typically\n"
           "start with a call of the function, e.g. at the top of a script, that\n"
           "will set the locale for all categories to the user’s default setting. If the\n"
           "locale is not changed thereafter, using multithreading should not cause\n"
           "problems. The value returned will be `None`. Later calls are\n"
           "being phased out in favour of the newer functions.")


def _starts(text, table):
    return [text[a:b] for a, b in zip(table.starts, table.ends)]


def test_hard_wrapped_lines_are_joined_before_sentences_are_split():
    units = _starts(WRAPPED, sentences(WRAPPED, max_tokens=400))
    assert len(units) == 5
    assert units[1].startswith("Applications typically\nstart with a call of the function, e.g. at the top")
    assert units[3] == "The value returned will be `None`."
    assert all(u[0].isupper() or u[0] == "`" for u in units)


def test_no_chunk_starts_inside_a_wrapped_sentence():
    text = "\n\n".join([WRAPPED] * 12)
    plans = plan_text_chunks(text, target_tokens=90, overlap_tokens=30)
    assert len(plans) > 6
    for p in plans[1:]:
        assert text[p.start].isupper() or text[p.start] == "`", text[p.start:p.start + 40]
        assert text[:p.start].rstrip()[-1] in ".`"


def test_code_blocks_list_items_and_tables_are_never_cut_into_sentences():
    code = "```\nimport locale\nlocale.setlocale(locale.LC_ALL, '')\nx = 1. + 2.\n```"
    item = "- The first item says one thing. And then it says another, e.g. this."
    table = "| term | meaning. More |\n| --- | --- |\n| FOB | free on board. Risk passes. |"
    text = f"Intro sentence one. Intro two:\n\n{code}\nThis follows the code.\n\n{item}\n- Second item.\n\n{table}"
    units = _starts(text, sentences(text, max_tokens=400))
    assert code in units and item in units and table in units
    assert "This follows the code." in units and "- Second item." in units
    for p in plan_text_chunks(text, target_tokens=25, overlap_tokens=0):
        piece = text[p.start:p.end]
        assert piece.count("```") % 2 == 0  # a chunk holds a whole code block or none of it


def test_a_code_block_longer_than_a_chunk_is_cut_between_its_lines():
    code = "```\n" + "\n".join(f"value_{i} = compute({i}, 'a long argument here')" for i in range(60)) + "\n```"
    plans = plan_text_chunks(code, target_tokens=100, overlap_tokens=0)
    assert len(plans) > 3
    for p in plans:
        assert p.tokens <= 100
        assert p.start == 0 or code[p.start - 1] == "\n"


def test_a_code_block_opened_at_the_end_of_a_line_ends_at_its_fence():
    # trafilatura writes a code block found inside a paragraph right after the text ("... and then calls ```")
    text = ("It constructs a tuple and then calls ```\nPyErr_SetObject(PyExc_WindowsError,\nobject)\n```\n"
            ". This function always returns `NULL`.\n\nA new paragraph starts here. It goes on.")
    units = _starts(text, sentences(text, max_tokens=400))
    assert units[-2:] == ["A new paragraph starts here.", "It goes on."]


def test_abbreviations_do_not_end_sentences_in_english_and_korean_sentences_are_split():
    text = ("Use a tuple, e.g. (1, 2), as the key. Read Fig. 2 and cf. the notes. Mr. Smith agreed.\n\n"
            "수출자는 서류를 제시합니다. 은행은 서류를 심사합니다! 정말요? 네.")
    units = _starts(text, sentences(text, max_tokens=400))
    assert units == ["Use a tuple, e.g. (1, 2), as the key.", "Read Fig. 2 and cf. the notes.", "Mr. Smith agreed.",
                     "수출자는 서류를 제시합니다.", "은행은 서류를 심사합니다!", "정말요?", "네."]


def test_a_short_title_line_is_not_joined_to_the_text_under_it():
    text = "무역결제론 제6강: 신용장의 구조\n안녕하세요. 오늘은 신용장을 봅니다.\nChapter One\nThe story begins."
    units = _starts(text, sentences(text, max_tokens=400))
    assert units[0] == "무역결제론 제6강: 신용장의 구조" and "Chapter One" in units
