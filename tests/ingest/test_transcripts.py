from __future__ import annotations

import pytest

from curator.store.catalog import get_document

SRT = """# notice line

1
00:00:01,000 --> 00:00:04,000
강사: 안녕하세요. 오늘은 인코텀즈에

2
00:00:04,500 --> 00:00:08,000
대해 이야기하겠습니다.

3
00:00:09,000 --> 00:00:12,000
학생: 질문이 있습니다.

4
00:00:12,500 --> 00:00:15,000
강사: 네, 말씀하세요.

5
00:00:15,500 --> 00:00:18,000
학생: FOB는 언제 위험이 넘어가나요?
"""

VTT = """WEBVTT

NOTE written for the tests

intro
00:00:01.000 --> 00:00:05.000 align:start
<v Lecturer>Good afternoon. Today is about <i>lead time</i>.

00:00:05.500 --> 00:00:09.000
It varies more than &amp; people think.

00:01:00.000 --> 00:01:04.000
<v.loud Student>Why does it vary?
"""


def _cues(conn, doc_id):
    return [dict(r) for r in conn.execute("SELECT * FROM cues WHERE document_id = ? ORDER BY seq", (doc_id,))]


def _doc_id(conn, report):
    return conn.execute("SELECT id FROM documents WHERE source_id = ?", (report.source_id,)).fetchone()[0]


def test_srt_cues_are_merged_with_speakers_and_keep_their_times(write, add, conn):
    report = add(write("lecture.srt", SRT))
    assert report.status == "added" and report.kind == "transcript"
    doc = get_document(conn, _doc_id(conn, report))
    text = doc["content"]
    assert "notice line" not in text
    # a sentence running across two cues is joined with a space; a labelled cue starts a new turn
    assert text.startswith("강사: 안녕하세요. 오늘은 인코텀즈에 대해 이야기하겠습니다.\n\n학생: 질문이 있습니다.")
    cues = _cues(conn, doc["id"])
    assert len(cues) == 5
    assert [c["speaker"] for c in cues] == ["강사", "강사", "학생", "강사", "학생"]
    assert text[cues[1]["char_start"]:cues[1]["char_end"]] == "대해 이야기하겠습니다."
    assert (cues[1]["time_start"], cues[1]["time_end"]) == (4.5, 8.0)


def test_vtt_voice_tags_tags_and_entities(write, add, conn):
    report = add(write("talk.vtt", VTT))
    doc = get_document(conn, _doc_id(conn, report))
    assert doc["content"] == ("Lecturer: Good afternoon. Today is about lead time. It varies more than & people think."
                              "\n\nStudent: Why does it vary?")
    cues = _cues(conn, doc["id"])
    assert [(c["time_start"], c["speaker"]) for c in cues] == [(1.0, "Lecturer"), (5.5, "Lecturer"),
                                                               (60.0, "Student")]


@pytest.mark.parametrize("bad_line, expected", [
    ("00:00:04,500 -> 00:00:08,000", "expected a timing line"),
    ("00:00:04,500 --> 00:00:0x,000", "cannot read the timestamp"),
    ("00:00:04,500 --> 00:00:03,000", "ends before it starts"),
    ("00:61:04,500 --> 00:62:03,000", "above 59"),
])
def test_broken_srt_timestamps_fail_the_file_naming_the_line(write, add, conn, bad_line, expected):
    broken = SRT.replace("00:00:04,500 --> 00:00:08,000", bad_line)
    report = add(write("broken.srt", broken))
    assert report.status == "error"
    assert "broken.srt:8: " in report.error and expected in report.error
    assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM cues").fetchone()[0] == 0


def test_vtt_without_header_is_refused(write, add):
    report = add(write("x.vtt", VTT.replace("WEBVTT", "WEBVTX", 1)))
    assert report.status == "error" and "WEBVTT" in report.error


def test_line_stamped_text_becomes_cues(write, add, conn):
    text = "[00:00:05] Host: Welcome to the show.\n[00:00:12] Guest: Thanks for having me.\nIt is great.\n" \
           "[00:01:02] Host: Let's talk about customs.\n"
    report = add(write("podcast.txt", text), kind="transcript")
    doc = get_document(conn, _doc_id(conn, report))
    cues = _cues(conn, doc["id"])
    assert [(c["time_start"], c["time_end"]) for c in cues][:2] == [(5.0, 12.0), (12.0, 62.0)]
    assert doc["content"][cues[1]["char_start"]:cues[1]["char_end"]] == "Thanks for having me. It is great."
    assert [c["speaker"] for c in cues] == ["Host", "Guest", "Host"]


def test_plain_text_lecture_is_a_transcript_without_cues(write, add, conn):
    report = add(write("lectures/session4.txt", "# notice\n\nSession 4\n\nToday we cover customs. It matters."))
    assert report.kind == "transcript"
    doc = get_document(conn, _doc_id(conn, report))
    assert doc["content"] == "Session 4\n\nToday we cover customs. It matters."
    assert _cues(conn, doc["id"]) == []
