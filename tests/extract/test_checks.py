"""What makes an extraction answer usable beyond its schema."""

from __future__ import annotations

import pytest

from curator.extract.checks import ExtractionCheck, ground, is_question
from curator.extract.extractor import extraction_schema
from curator.llm.parsing import extract_json, parse_answer, schema_errors

CHUNK = ("Under CIF the seller pays freight and insurance to the named port of destination. "
         "신용장은 은행이 수입자를 대신하여 대금 지급을 약속하는 장치입니다.")


@pytest.mark.parametrize("text", ["What does CIF cover?", "Who pays the freight under CIF",
                                  "신용장이란 무엇인가요?", "신용장의 기능을 설명하시오.", "Explain CIF."])
def test_questions(text):
    assert is_question(text)


@pytest.mark.parametrize("text", ["CIF covers freight.", "신용장은 은행이 발행합니다.", ""])
def test_not_questions(text):
    assert not is_question(text)


def test_exact_evidence_is_located():
    quote = "the seller pays freight and insurance"
    g = ground(quote, CHUNK)
    assert g.score == 100 and CHUNK[g.start:g.end] == quote


def test_near_evidence_is_found_with_its_span():
    g = ground("the seller pays the freight and insurance", CHUNK)
    assert 85 <= g.score < 100
    assert "seller pays freight" in CHUNK[g.start:g.end]


def test_invented_evidence_scores_low():
    assert ground("Penguins negotiate freight rates on the moon.", CHUNK).score < 85


def pair(q="What does CIF cover?", a="Freight and insurance to the destination port.",
         e="the seller pays freight and insurance"):
    return {"question": q, "answer": a, "evidence": e}


def check(pairs, max_pairs=3):
    return ExtractionCheck(CHUNK, max_pairs=max_pairs, evidence_cutoff=85)({"qa_pairs": pairs})


def test_good_pairs_pass():
    assert check([pair(), pair(q="신용장은 무엇을 약속하나요?", a="은행의 대금 지급을 약속합니다.",
                                e="은행이 수입자를 대신하여 대금 지급을 약속")]) == []


def test_each_problem_is_named():
    errors = check([pair(q=" "), pair(q="CIF is a term."), pair(a="What does CIF cover?"),
                    pair(e="Penguins negotiate freight rates on the moon."), pair(q="what does CIF  cover?")])
    text = "\n".join(errors)
    assert "qa_pairs.4.question: repeats qa_pairs.2.question" in text
    assert "5 pairs given, at most 3" in text
    assert "qa_pairs.0.question: is empty" in text
    assert "qa_pairs.1.question" in text and "not a question" in text
    assert "qa_pairs.2.answer: repeats the question" in text
    assert "qa_pairs.3.evidence" in text and "not found" in text


def test_json_is_found_in_prose_and_fences():
    doc = {"qa_pairs": []}
    assert extract_json('{"qa_pairs": []}') == (doc, None)
    assert extract_json('Here you go:\n```json\n{"qa_pairs": []}\n```') == (doc, None)
    assert extract_json('Sure! {"qa_pairs": []} Anything else?') == (doc, None)
    assert extract_json("no json here")[1].startswith("the answer is not valid JSON")
    assert extract_json("   ")[1] == "the answer was empty"
    cut_off = '{"qa_pairs": [{"question": "Q?", "answer": "A", "evidence": "E"}, {"question": "Q2'
    assert extract_json(cut_off)[0] is None  # not the first inner object passed off as the answer


def test_schema_errors_are_readable():
    schema = extraction_schema(2)
    assert schema_errors(schema, {"qa_pairs": [pair()] * 3}) == ["qa_pairs: has 3 items, at most 2 allowed"]
    errors = schema_errors(schema, {"qa_pairs": [{"question": "Q?"}]})
    assert "qa_pairs.0: 'answer' is a required property" in errors


def test_parse_answer_runs_the_check_only_on_schema_valid_documents():
    calls = []
    _, errors = parse_answer('{"qa_pairs": [{"question": "Q?"}]}', extraction_schema(5),
                             lambda d: calls.append(d) or [])
    assert errors and calls == []
    _, errors = parse_answer('{"qa_pairs": []}', extraction_schema(5), lambda d: calls.append(d) or ["bad"])
    assert errors == ["bad"] and calls == [{"qa_pairs": []}]
