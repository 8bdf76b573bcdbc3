"""Precision and recall of exact and near-duplicate detection on small labelled sets written for these tests."""

from __future__ import annotations

import numpy as np
import pytest

from curator.filters.clusters import KeeperInputs
from curator.filters.dedup import find_duplicates
from tests.support.planted import pairwise_scores

# (question, answer, group): records of one group ask the same question.
ENGLISH = [
    ("What is a bill of lading?", "A receipt and document of title issued by the carrier.", 1),
    ("What is the bill of lading?", "A receipt and document of title issued by the carrier.", 1),
    ("What is a bill of ladng?", "A receipt and document of title issued by the carrier.", 1),
    ("WHAT IS A BILL OF LADING?", "A receipt and document of title issued by the carrier.", 1),
    ("Who pays the main freight under CIF terms?", "The seller pays freight to the port of destination.", 2),
    ("Under CIF terms, who pays the main freight?", "The seller pays freight to the port of destination.", 2),
    ("How many days does a container take from Busan to Rotterdam by sea?", "About 30 days.", 3),
    ("How many days does a container take from Busan to Rotterdam by sea ?", "About 30 days.", 3),
    ("How many days does a container take from Busan to Hamburg by sea?", "About 32 days.", 4),
    ("If the customs value is 100 dollars and the duty rate is 8%, what is the duty?", "8 dollars.", 5),
    ("If the customs value is 100 dollars and the duty rate is 9%, what is the duty?", "9 dollars.", 6),
    ("What does FOB mean in international trade?", "Free on board.", 7),
    ("What does FCA mean in international trade?", "Free carrier.", 8),
    ("Which documents are needed to import wine from France into Korea?", "An invoice and a certificate.", 9),
    ("Which documents are needed to import wine from Chile into Korea?", "An invoice and a certificate.", 10),
    ("Which documents are needed to import wine from France in to Korea?", "An invoice and a certificate.", 9),
]
KOREAN = [
    ("수출신고는 언제 해야 하나요?", "물품을 선적하기 전에 해야 합니다.", 1),
    ("수출 신고는 언제 해야 하나요?", "물품을 선적하기 전에 해야 합니다.", 1),
    ("수출신고를 언제 해야 하나요?", "물품을 선적하기 전에 해야 합니다.", 1),
    ("수입신고는 언제 해야 하나요?", "물품이 도착한 뒤에 합니다.", 2),
    ("신용장 개설 은행의 역할은 무엇인가요?", "수입자를 대신해 대금 지급을 약속합니다.", 3),
    ("신용장 개설은행의 역할은 무엇인가요?", "수입자를 대신해 대금 지급을 약속합니다.", 3),
    ("신용장 개설 은행의 역활은 무엇인가요?", "수입자를 대신해 대금 지급을 약속합니다.", 3),
    ("일본으로 화장품을 수출할 때 필요한 서류는 무엇인가요?", "상업송장과 포장명세서가 필요합니다.", 4),
    ("중국으로 화장품을 수출할 때 필요한 서류는 무엇인가요?", "상업송장과 포장명세서가 필요합니다.", 5),
    ("관세율이 8%이고 과세가격이 100만 원일 때 관세는 얼마인가요?", "8만 원입니다.", 6),
    ("관세율이 9%이고 과세가격이 100만 원일 때 관세는 얼마인가요?", "9만 원입니다.", 7),
    ("FOB란 무엇인가요?", "본선인도 조건입니다.", 8),
    ("ＦＯＢ란 무엇인가요?", "본선인도 조건입니다.", 8),
    ("fob란  무엇인가요?", "본선인도 조건입니다.", 8),
    ("부산항에서 로테르담항까지 운송 기간은 보통 얼마인가요?", "약 30일입니다.", 9),
    ("부산항에서 로테르담항 까지 운송 기간은 보통 얼마인가요?", "약 30일입니다.", 9),
    ("울산항에서 로테르담항까지 운송 기간은 보통 얼마인가요?", "약 31일입니다.", 10),
]


def run(records, settings):
    n = len(records)
    inputs = KeeperInputs(np.zeros(n, bool), np.zeros(n, bool), np.full(n, np.nan), np.full(n, np.nan),
                          np.arange(n))
    result = find_duplicates([r[0] for r in records], [r[1] for r in records], inputs, settings)
    c = result.clusters
    labels = np.arange(n) + n
    together = (c.kind == "keeper") | (c.score >= settings.fuzzy_cutoff)
    labels[c.member[together]] = c.cluster[together]
    return labels, result


@pytest.mark.parametrize("records", [ENGLISH, KOREAN], ids=["english", "korean"])
def test_labelled_set_is_found_without_false_duplicates(records, settings):
    labels, _ = run(records, settings)
    scores = pairwise_scores(np.array([r[2] for r in records]), labels)
    assert scores["precision"] == 1.0, scores
    assert scores["recall"] == 1.0, scores


@pytest.mark.parametrize("records", [ENGLISH, KOREAN], ids=["english", "korean"])
def test_questions_differing_in_one_number_or_word_stay_apart(records, settings):
    labels, _ = run(records, settings)
    by_group: dict[int, set[int]] = {}
    for (_, _, group), label in zip(records, labels):
        by_group.setdefault(group, set()).add(int(label))
    # every group's label set is disjoint from every other group's
    seen: dict[int, int] = {}
    for group, found in by_group.items():
        for label in found:
            assert seen.setdefault(label, group) == group, f"groups {seen[label]} and {group} were merged"


def test_same_question_with_another_answer_is_a_conflict_not_a_duplicate(settings):
    records = [("What is the latest shipment date under this L/C?", "March 31.", 1),
               ("What is the latest shipment date under this L/C?", "April 15.", 1),
               ("수출신고필증은 누가 발급하나요?", "세관이 발급합니다.", 2),
               ("수출 신고필증은 누가 발급하나요?", "관세사가 발급합니다.", 2)]
    _, result = run(records, settings)
    kinds = dict(zip(result.clusters.member.tolist(), result.clusters.kind.tolist()))
    assert kinds[1] == "conflict" and kinds[0] == "keeper"
    assert kinds[3] == "conflict" and kinds[2] == "keeper"


def test_a_question_inside_a_longer_one_is_not_its_duplicate(settings):
    records = [("What is demurrage?", "A charge for keeping a container too long.", 1),
               ("What is demurrage and how is it calculated for reefer containers at the port?",
                "A daily charge after the free time.", 2)]
    labels, _ = run(records, settings)
    assert labels[0] != labels[1]


def test_empty_and_odd_texts_do_not_crash_and_empty_ones_group_as_exact(settings):
    records = [("", "x", 1), ("", "x", 1), ("\x00\x07", "y", 2), ("🚢📦 컨테이너?", "ok", 3),
               ("a" * 100_000, "b" * 100_000, 4), ("Mixed 한국어 and English 質問", "ok", 5)]
    labels, _ = run(records, settings)
    assert labels[0] == labels[1]
    assert len(set(labels[2:].tolist())) == 4


def test_the_best_scorer_compares_word_order_only_where_asked():
    from curator.filters.similarity import pair_scores
    texts = ["what does fob mean in shipping", "in shipping what does fob mean", "what is a bill of lading"]
    pairs = np.array([[0, 1], [0, 2]])
    everywhere = pair_scores(texts, pairs, "best")
    assert everywhere[0] == 100.0  # the same words reordered
    only_first = pair_scores(texts, pairs, "best", sort_where=np.array([False, True]))
    assert only_first[0] == pair_scores(texts, pairs[:1], "ratio")[0] < 100.0
    assert only_first[1] == everywhere[1]
