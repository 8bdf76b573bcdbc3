"""Rule filters: each rule with its reason, and bad input that must be flagged or survived, never crash."""

from __future__ import annotations

import json

import pytest

from curator.config import default_config
from curator.filters.rules import RuleSet, check_pair, repetition
from curator.filters.run import run_filters
from curator.filters.settings import FilterSettings
from tests.filters.conftest import active, add_pairs


@pytest.fixture
def rules() -> RuleSet:
    return RuleSet.build(FilterSettings.from_config(default_config()["filters"]))


def broken(rules, question, answer, origin="llm"):
    return {rule: reason for rule, _score, reason, _details in check_pair(rules, question, answer, origin)}


@pytest.mark.parametrize("question, answer, rule", [
    ("FOB?", "Free on board.", "question_too_short"),
    ("What does FOB mean?", "", "empty_answer"),
    ("What does FOB mean?", "  ...  ", "empty_answer"),
    ("What does FOB mean?", "N/A", "placeholder_answer"),
    ("수입신고는 언제 하나요?", "없음", "placeholder_answer"),
    ("What does FOB mean?", "what does fob mean?", "answer_is_question"),
    ("Is the seller responsible for export clearance under FOB?", "export clearance", "answer_in_question"),
    ("According to the text, who pays the freight?", "The seller.", "not_self_contained"),
    ("이 글에 따르면 운임은 누가 부담하나요?", "매도인이 부담합니다.", "not_self_contained"),
    ("위 내용에서 말하는 신용장의 종류는?", "취소불능 신용장입니다.", "not_self_contained"),
    ("What is demurrage?", "Demurrage is a charge. " * 20, "repetitive_answer"),
    ("What is a tariff?", "I cannot say. Please keep the discussion relevant to trade.", "boilerplate"),
    ("Who can I call about my shipment?", "Call Kim at 010-1234-5678.", "personal_data"),
    ("Whom should I e-mail?", "Write to kim.trade@example.co.kr for quotes.", "personal_data"),
    ("신청서에 무엇을 적나요?", "주민등록번호 900101-1234567을 적습니다.", "personal_data"),
    ("How do I pay?", "Use card 4111 1111 1111 1111.", "personal_data"),
    ("What is\x07 a bill of lading?", "A document of title.", "control_characters"),
])
def test_each_rule_flags_with_a_reason(rules, question, answer, rule):
    found = broken(rules, question, answer)
    assert rule in found, found
    assert found[rule]


@pytest.mark.parametrize("question, answer", [
    ("What does FOB stand for in Incoterms 2020?", "Free On Board: the seller delivers on board the vessel."),
    ("HS 코드 8471.30-0000은 어떤 물품인가요?", "휴대용 자동자료처리기계입니다."),
    ("If the customs value is 1,234,567 won and the duty rate is 8%, what is the duty?", "98,765 won."),
    ("다음 중 FOB 조건의 특징은?\n1. 매도인이 운임 부담\n2. 본선 적재 시 위험 이전\n3. 보험 필수\n4. 양하비용 부담",
     "본선 적재 시 위험 이전"),
    ("Who issues a letter of credit?", "The issuing bank, at the request of the applicant."),
])
def test_ordinary_pairs_break_no_rule(rules, question, answer):
    assert broken(rules, question, answer) == {}


def test_exam_answers_may_repeat_an_option(rules):
    assert "answer_in_question" not in broken(rules, "Which term puts risk on the buyer at loading? FOB or DDP",
                                              "FOB", origin="exam")


def test_repetition_measure():
    assert repetition("the seller pays the freight and the buyer pays the insurance premium") == 0.0
    assert repetition("loop " * 40) > 0.9
    assert repetition("반복" * 100) > 0.9


def test_bad_input_is_flagged_where_it_matters_and_never_crashes(workspace):
    ids = add_pairs(workspace, [
        ("", ""),
        ("What is the maximum size of a 40 ft container?", "x" * 100_000),
        ("🚢 컨테이너 Container コンテナ 集装箱?", "📦 Mixed scripts are fine."),
        ("Null\x00 byte in a question about FOB?", "Control characters\x1b[31m in an answer."),
        {"question": "What is a pro forma invoice?", "answer": "A preliminary invoice.", "chunk_id": None},
    ])
    counts = run_filters(workspace, only=["dedup", "rules", "contamination"])
    assert counts["pairs"] == len(ids)
    conn = workspace.connect()
    rules_by_pair: dict[int, set[str]] = {}
    for f in active(conn, "rule"):
        rules_by_pair.setdefault(f["pair_id"], set()).add(json.loads(f["details"])["rule"])
    assert {"question_too_short", "empty_answer"} <= rules_by_pair[ids[0]]
    assert "answer_too_long" in rules_by_pair[ids[1]] and "repetitive_answer" in rules_by_pair[ids[1]]
    assert ids[2] not in rules_by_pair
    assert rules_by_pair[ids[3]] == {"control_characters"}
    assert ids[4] not in rules_by_pair
    conn.close()
