from __future__ import annotations

import json

import pytest

from curator.ingest.exam import MalformedItem, parse_exam_text, resolve_answer


@pytest.mark.parametrize("text", [
    "질문: 해상 전용 규칙은?\n1. FCA\n2. FOB\n3. CPT\n4. DAP\n정답: 2",
    "질문: 해상 전용 규칙은? 1. FCA 2. FOB 3. CPT 4. DAP 정답: 2",
    "질문: 해상 전용 규칙은?1. FCA2. FOB3. CPT4. DAP\n정답: 2. FOB",
    "질문: 해상 전용 규칙은?\n① FCA\n② FOB\n③ CPT\n④ DAP\n정답: ②",
    "질문: 해상 전용 규칙은? 1. FCA 2. FOB 3. CPT 4. DAP\n정답: FOB",
])
def test_every_layout_gives_the_same_item(text):
    item = parse_exam_text(text)
    assert item.question == "해상 전용 규칙은?"
    assert item.options == ["FCA", "FOB", "CPT", "DAP"]
    assert item.answer_number == 2


def test_options_glued_to_the_previous_sentence_are_separated():
    item = parse_exam_text("질문: 옳은 것은?1. 매도인은 의무가 없다.2. 최소 ICC(C) 조건으로 부보하면 된다.3. 보험금액은 110%이다."
                           "4. 5은행영업일 이내이다.\n정답: 2")
    assert item.options == ["매도인은 의무가 없다.", "최소 ICC(C) 조건으로 부보하면 된다.", "보험금액은 110%이다.",
                            "5은행영업일 이내이다."]


@pytest.mark.parametrize("text, reason", [
    ("질문: 3PL이란?\n1. 위탁\n2. 자체\n3. 자회사", "no '정답:'"),
    ("질문: 3PL이란?\n1. 위탁\n2. 자체\n정답: 3", "not one of the options 1-2"),
    ("질문: 3PL이란?\n1. 위탁\n2. 자체\n정답: 2. 위탁", "names option 2, but option 2 is '자체'"),
    ("질문: 3PL이란?\n1. 위탁\n2. 자체\n정답: 외주", "matches none"),
    ("질문: 3PL이란? 정답: 1", "fewer than two numbered options"),
    ("3PL이란?\n1. 위탁\n2. 자체\n정답: 1", "no '질문:'"),
])
def test_malformed_items_are_refused_with_a_reason_not_guessed(text, reason):
    with pytest.raises(MalformedItem, match=reason.replace("(", r"\(").replace("?", r"\?")):
        parse_exam_text(text)


def test_answers_as_one_based_integers_and_texts():
    options = ["Advising bank", "Issuing bank", "Confirming bank"]
    assert resolve_answer(2, options) == 2
    assert resolve_answer("issuing bank", options) == 2
    with pytest.raises(MalformedItem):
        resolve_answer(0, options)
    with pytest.raises(MalformedItem):
        resolve_answer(True, options)


def test_exam_json_file_reports_malformed_item_with_its_line_and_keeps_the_rest(write, add, conn):
    items = [{"id": "a1", "text": "질문: 해상 전용 규칙은?1. FCA2. FOB\n정답: 2"},
             {"id": "a2", "text": "질문: 빠진 정답\n1. 가\n2. 나"},
             {"id": "a3", "text": "질문: 공장인도조건은?\n1. EXW\n2. DDP\n정답: ①"}]
    path = write("bank.json", json.dumps({"_about": "test", "data": items}, ensure_ascii=False, indent=2))
    report = add(path)
    assert (report.status, report.kind, report.documents, report.pairs) == ("added", "exam", 2, 2)
    assert len(report.problems) == 1
    problem = report.problems[0]
    line = path.read_text().split("\n").index('    {') + 1
    assert problem["location"].endswith(f"bank.json:{line + 4} (a2)")
    assert "no '정답:'" in problem["message"]
    pairs = conn.execute("SELECT question, answer, template, origin, language FROM qa_pairs ORDER BY id").fetchall()
    assert [tuple(p) for p in pairs] == [
        ("해상 전용 규칙은?\n1. FCA\n2. FOB", "FOB", "exam_ko", "exam", "ko"),
        ("공장인도조건은?\n1. EXW\n2. DDP", "EXW", "exam_ko", "exam", "ko"),
    ]
    logged = conn.execute("SELECT location, message FROM errors WHERE stage = 'ingest'").fetchall()
    assert [r["location"] for r in logged] == [problem["location"]]


def test_exam_jsonl_with_numbers_and_texts(write, add, conn):
    lines = [{"_about": "test"},
             {"question": "Which bank issues the credit?", "options": ["Advising", "Issuing"], "answer": 2},
             {"question": "How many HS digits are shared?", "options": ["Four", "Six"], "answer": "Six"},
             {"question": "Broken", "options": ["A", "B"], "answer": "C"}]
    report = add(write("bank.jsonl", "\n".join(json.dumps(x) for x in lines)))
    assert (report.kind, report.pairs) == ("exam", 2)
    assert report.problems[0]["location"].endswith("bank.jsonl:4")
    answers = [r[0] for r in conn.execute("SELECT answer FROM qa_pairs ORDER BY id")]
    assert answers == ["Issuing", "Six"]
