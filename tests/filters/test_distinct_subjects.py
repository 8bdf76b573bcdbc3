"""Distinct pairs stay distinct: a question about another subject is never a duplicate or a conflict.

Names, acronyms, identifiers, codes and numbers one letter apart (Ireland/Iceland,
DBMS/NDBMS, Lock/RLock, DVD+R/DVD-R) are different questions; a duplicate needs the
same answer; rules match whole words. English and Korean, as a user would meet them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from curator.filters.clusters import KeeperInputs
from curator.filters.dedup import find_duplicates
from curator.filters.rules import RuleSet, check_pair, contains_words
from curator.filters.subjects import subjects_of
from tests.filters.conftest import active, add_pairs, set_filters

SEVEN = [
    {"question": "What is the capital of Ireland?", "answer": "Dublin"},
    {"question": "What is the capital of Iceland?", "answer": "Reykjavík"},
    {"question": 'What does "DBMS" mean?', "answer": "DataBase Management System"},
    {"question": 'What does "NDBMS" mean?', "answer": "Network DataBase Management System"},
    {"question": "What is the capital of Tunisia?", "answer": "Tunis"},
    {"question": "What does Lock do in threading?", "answer": "A primitive lock that one thread holds at a time."},
    {"question": "What does RLock do in threading?",
     "answer": "A reentrant lock that the same thread may acquire several times."},
]


def test_the_seven_line_reproduction_gives_no_flag_and_a_version_of_seven(workspace, curator_cmd, tmp_path):
    set_filters(workspace, semantic=False)  # the semantic pass has its own test; this one is about the rest
    source = tmp_path / "qa.jsonl"
    source.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in SEVEN) + "\n", encoding="utf-8")
    env = {"CURATOR_WORKSPACE": str(workspace.root)}
    added = curator_cmd("add", str(source), env=env)
    assert added.returncode == 0, added.stderr
    done = curator_cmd("filter", "--json", env=env)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert counts["flags"] == {} and counts["failing"] == 0
    failing = json.loads(curator_cmd("filter", "failing", "--json", env=env).stdout)
    assert failing["count"] == 0
    made = curator_cmd("version", "create", "-m", "x", "--include-pending", "--json", env=env)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["pairs"] == 7


def _kinds(records):
    n = len(records)
    inputs = KeeperInputs(np.zeros(n, bool), np.zeros(n, bool), np.full(n, np.nan), np.full(n, np.nan),
                          np.arange(n))
    from curator.filters.settings import FilterSettings
    result = find_duplicates([q for q, _ in records], [a for _, a in records], inputs, FilterSettings(threads=1))
    c = result.clusters
    return {int(m): str(k) for m, k in zip(c.member, c.kind)}


@pytest.mark.parametrize("records", [
    [("What does ACL stand for?", "Access Control List"), ("What does DCL stand for?", "Data Control Language")],
    [("What does GPT stand for?", "GUID Partition Table"), ("What does GPA stand for?", "Grade Point Average")],
    [("What is a DVD+R?", "A recordable DVD format of the DVD+RW Alliance."),
     ("What is a DVD-R?", "A recordable DVD format of the DVD Forum.")],
    [("What does AKI mean?", "Acute Kidney Injury"), ("What does AKID mean?", "Acute Kidney Injury Database")],
    [("What does os.path.join return?", "A path joined from its parts."),
     ("What does os.path.split return?", "The head and tail of a path.")],
    [("What is the boiling point of water at 100 kPa?", "About 99.6 °C."),
     ("What is the boiling point of water at 101 kPa?", "About 99.9 °C.")],
    [("What is ISO 9001?", "A quality management standard."), ("What is ISO 9002?", "A withdrawn standard.")],
    [("FOB란 무엇인가요?", "본선인도 조건입니다."), ("FCA란 무엇인가요?", "운송인인도 조건입니다.")],
    [("Python에서 Lock은 무엇을 하나요?", "한 번에 한 스레드만 잡는 잠금입니다."),
     ("Python에서 RLock은 무엇을 하나요?", "같은 스레드가 여러 번 잡을 수 있는 잠금입니다.")],
    [("아일랜드의 수도는 어디인가요?", "더블린입니다."), ("아이슬란드의 수도는 어디인가요?", "레이캬비크입니다.")],
], ids=["acl-dcl", "gpt-gpa", "dvd+r-dvd-r", "aki-akid", "os.path", "kpa-number", "iso-code", "ko-fob-fca",
        "ko-lock-rlock", "ko-country"])
def test_questions_about_different_subjects_are_neither_duplicates_nor_conflicts(records):
    assert _kinds(records) == {}


@pytest.mark.parametrize("records, kind", [
    ([("What is a bill of lading?", "A document of title."), ("What is a bill of ladng?", "A document of title.")],
     "near_duplicate"),
    ([("What does DBMS stand for?", "DataBase Management System"),
      ("what does dbms stand for?", "Database management system.")], "duplicate"),
    ([("What does DBMS stand for?", "DataBase Management System"),
      ("What does DBMS stand for?", "Network DataBase Management System")], "conflict"),
    ([("신용장 개설 은행의 역할은 무엇인가요?", "대금 지급을 약속합니다."),
      ("신용장 개설 은행의 역활은 무엇인가요?", "대금 지급을 약속합니다.")], "near_duplicate"),
    ([("수출신고는 언제 해야 하나요?", "선적 전에 합니다."), ("수출신고를 언제 해야 하나요?", "선적 전에 합니다.")],
     "near_duplicate"),
    ([("FOB란 무엇인가요?", "본선인도 조건입니다."), ("FOB란 무엇인가요?", "운임 포함 조건입니다.")], "conflict"),
], ids=["typo", "case-and-punctuation", "other-answer", "ko-typo", "ko-particle", "ko-other-answer"])
def test_variants_of_one_question_are_found_and_a_different_answer_is_a_conflict(records, kind):
    assert _kinds(records) == {0: "keeper", 1: kind}


def test_the_subject_words_of_a_question():
    assert subjects_of("What is the capital of Ireland?") == {"ireland"}
    assert subjects_of('What does "NDBMS" mean?') == {"ndbms"}
    assert subjects_of("What does RLock do in threading?") == {"rlock"}
    assert subjects_of("Is a DVD+R the same as a DVD-R?") == {"dvd+r", "dvd-r"}
    assert subjects_of("What is a bill of lading?") == set()
    assert subjects_of("WHAT IS A BILL OF LADING?") == set()  # all capitals: case says nothing
    assert subjects_of("What Is A Bill Of Lading?") == set()  # title case: nor here
    assert subjects_of("Ｗhat is ＦＯＢ란?") == {"fob"}


def test_rules_match_whole_words_and_korean_words_with_their_particles(settings):
    assert not contains_words("what is the capital of tunisia?", "tunis")
    assert contains_words("is tunis the capital of tunisia?", "tunis")
    assert contains_words("서울은 어느 나라의 수도인가요?", "서울")
    assert not contains_words("서울대는 어디에 있나요?", "서울")
    rules = RuleSet.build(settings)
    found = {r for r, *_ in check_pair(rules, "What is the capital of Tunisia?", "Tunis")}
    assert "answer_in_question" not in found
    found = {r for r, *_ in check_pair(rules, "Which city, Tunis or Sfax, is the capital?", "Tunis")}
    assert "answer_in_question" in found
    found = {r for r, *_ in check_pair(rules, "인천국제공항은 한국에서 가장 큰 공항인가요?", "인천국제공항")}
    assert "answer_in_question" in found


def test_the_run_summary_is_the_stored_flags(workspace):
    from curator.filters.run import run_filters
    from curator.filters.verdicts import failing_pairs
    from curator.status import workspace_status
    set_filters(workspace, semantic=False)
    add_pairs(workspace, [("What is a bill of lading?", "A document of title."),
                          ("What is a bill of ladng?", "A document of title."),
                          ("What is the bill of lading?", "A receipt only."),
                          ("Tell me.", "word " * 20)])
    counts = run_filters(workspace)
    conn = workspace.connect()
    try:
        stored = {}
        for f in active(conn):
            stored[f["kind"]] = stored.get(f["kind"], 0) + 1
        assert {k: v for k, v in counts["flags"].items() if ":" not in k} == stored
        from curator.filters.settings import FilterSettings
        assert counts["failing"] == len(failing_pairs(conn, FilterSettings.from_config(workspace.config["filters"])))
    finally:
        conn.close()
    assert stored == {"near_duplicate": 1, "conflict": 2, "rule": 1}
    assert workspace_status(workspace)["flags"] == stored


def test_one_table_of_flag_kinds_feeds_versions_and_the_registry():
    from curator.config import default_config
    from curator.filters import FILTERS
    from curator.filters.registry import REGISTRY
    from curator.store.flags import EXCLUDED_BY_DEFAULT, FLAG_KINDS
    assert set(default_config()["version"]["exclude_flags"]) == set(EXCLUDED_BY_DEFAULT)
    assert "conflict" not in EXCLUDED_BY_DEFAULT  # a machine never drops a pair that may be distinct
    assert tuple(REGISTRY) == FILTERS
    owned = [k for f in REGISTRY.values() for k in f.kinds]
    assert len(owned) == len(set(owned)) and set(owned) <= set(FLAG_KINDS)
