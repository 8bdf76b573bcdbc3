"""QA tables one pair a line (`curator add FILE --kind qa`): delimiters, alternatives, comments, continuations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curator.ingest.add import add_file
from curator.ingest.loaders import load_file
from curator.ingest.qa_lines import parse_field

FIXTURES = Path(__file__).parent / "fixtures"
QUIZ_DIR = Path("/usr/share/games/bsdgames/quiz")  # Debian's bsdgames package


def _pairs(conn, path):
    return [dict(r) for r in conn.execute(
        "SELECT q.question, q.answer, q.meta, q.template, q.origin FROM qa_pairs q JOIN sources s ON s.id = q.source_id"
        " WHERE s.uri = ? ORDER BY q.id", (str(path.resolve()),))]


def test_a_real_quiz_file_becomes_pairs_with_its_alternatives(conn, workspace):
    report = add_file(conn, FIXTURES / "bsd_quiz_excerpt", kind="qa", config=workspace.config)
    assert (report.status, report.kind, report.pairs, report.problems) == ("added", "qa", 11, [])
    pairs = {p["question"]: (p["answer"], json.loads(p["meta"])) for p in _pairs(conn, FIXTURES / "bsd_quiz_excerpt")}
    assert pairs["Algeria"] == ("Algiers", {})
    assert pairs["Chad"][0] == "N'Djamena" and pairs["Chad"][1]["alternatives"] == ["Ndjamena"]
    # accents typed as terminal overstrikes become the accented letters, alternatives and all
    assert pairs["Cameroon"][0] == "Yaoundé" and pairs["Cameroon"][1]["alternatives"] == ["Yaounde"]
    assert pairs["Côte d'Ivoire"][1]["question_alternatives"] == ["Cote d'Ivoire"]
    # {optional} parts are written out, [a|b] groups give the other spellings, the pattern is kept
    assert pairs["Cock Robin"] == ("the sparrow", {"answer_pattern": "{the }sparrow"})
    assert pairs["laedo"][0] == "I injure" and pairs["laedo"][1]["alternatives"] == ["I thwart"]
    assert pairs["John F. Kennedy"][0] == "Lee Harvey Oswald"
    assert pairs["John F. Kennedy"][1]["alternatives"] == ["the FBI", "the CIA"]
    assert pairs["John F. Kennedy"][1]["question_alternatives"] == ["JFK"]
    assert pairs["Anne Boleyn"][1]["question_alternatives"] == ["Catharine Howard"]
    assert pairs["sleep"] == ("Macbeth", {"question_alternatives": ["Duncan"], "question_pattern": "sleep|Duncan"})


@pytest.mark.skipif(not (QUIZ_DIR / "africa").exists(), reason="bsdgames is not installed (apt-get install bsdgames)")
def test_whole_quiz_files_of_two_fields_are_read_without_a_problem(conn, workspace):
    for name, count in (("africa", 56), ("murders", 25), ("latin", 157), ("trek", 19)):
        report = add_file(conn, QUIZ_DIR / name, kind="qa", config=workspace.config)
        # a line repeated in the file is one pair whose document has two locations
        assert (report.status, report.pairs + report.duplicates, report.problems) == ("added", count, []), name


def test_korean_lines_comments_continuations_and_bad_lines(conn, workspace, tmp_path):
    path = tmp_path / "faq.txt"
    path.write_text("# 무역 용어 퀴즈\n"
                    "신용장이란?:은행이 지급을 약속하는 증서|L/C\n"
                    "\n"
                    "  # 들여쓴 주석\n"
                    "FOB\\:무엇의 약자?:Free On Board\n"
                    "질문만 있는 줄\n"
                    "a:b:c\n"
                    "긴 질문이 \\\n"
                    "이어집니다:[네|예]\n"
                    "빈 답:\n"
                    "괄호[가 열린:줄\n", encoding="utf-8")
    report = add_file(conn, path, kind="qa", config=workspace.config)
    assert report.status == "added" and report.pairs == 3
    pairs = [(p["question"], p["answer"], json.loads(p["meta"])) for p in _pairs(conn, path)]
    assert pairs[0] == ("신용장이란?", "은행이 지급을 약속하는 증서", {"alternatives": ["L/C"],
                                                          "answer_pattern": "은행이 지급을 약속하는 증서|L/C"})
    assert pairs[1][:2] == ("FOB:무엇의 약자?", "Free On Board")
    assert pairs[2][:2] == ("긴 질문이 이어집니다", "네") and pairs[2][2]["alternatives"] == ["예"]
    problems = {p["location"]: p["message"] for p in report.problems}
    assert set(problems) == {f"{path}:6", f"{path}:7", f"{path}:10", f"{path}:11"}
    assert "no ':' separating the question from the answer" in problems[f"{path}:6"]
    assert "3 fields separated by ':'" in problems[f"{path}:7"] and "'\\:'" in problems[f"{path}:7"]
    assert "the answer is empty" in problems[f"{path}:10"]
    assert "'[' is not closed" in problems[f"{path}:11"]
    stored = conn.execute("SELECT location FROM errors WHERE stage = 'ingest'").fetchall()
    assert {r[0] for r in stored} >= set(problems)
    assert {p["template"] for p in _pairs(conn, path)} == {"import:lines"}


def test_tab_is_the_delimiter_of_tsv_files_and_any_character_can_be_named(conn, workspace, tmp_path):
    tsv = tmp_path / "cards.tsv"
    tsv.write_text("What is CIF?\tCost, Insurance and Freight: the seller pays both\nHS?\tHarmonized System\n")
    report = add_file(conn, tsv, kind="qa", config=workspace.config)
    assert report.pairs == 2 and _pairs(conn, tsv)[0]["answer"] == "Cost, Insurance and Freight: the seller pays both"
    semi = tmp_path / "cards.csv"
    semi.write_text("Incoterms; rules for delivery: who pays what\n")
    config = {**workspace.config, "ingest": {**workspace.config["ingest"], "qa_delimiter": ";"}}
    report = add_file(conn, semi, kind="qa", config=config)
    assert report.pairs == 1 and _pairs(conn, semi)[0]["answer"] == "rules for delivery: who pays what"


def test_a_file_with_no_good_line_fails_with_the_first_reason(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"just a sentence\nanother one\n")
    result = load_file(path, path.read_bytes(), "qa", {})
    assert not result.documents and len(result.problems) == 2
    assert result.problems[0].location == f"{path}:1"


def test_escapes_make_syntax_characters_literal():
    field = parse_field("a \\| b \\[1\\] \\{x\\} c\\\\d")
    assert (field.text, field.alternatives) == ("a | b [1] {x} c\\d", [])
