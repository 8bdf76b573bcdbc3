from __future__ import annotations

import json

from curator.store.catalog import get_chunk


def _pairs(conn):
    return [dict(r) for r in conn.execute("SELECT * FROM qa_pairs ORDER BY id")]


def test_glossary_entry_gives_two_pairs_with_their_templates(write, add, conn):
    data = {"_about": "t", "data": [
        {"term": "선하증권", "eng_term": "Bill of Lading", "description": "운송인이 화물을 받았음을 증명하는 증권이다."},
        {"kor_term": "신용장", "description": "은행이 대금 지급을 확약하는 약정이다."},
    ]}
    report = add(write("terms.json", json.dumps(data, ensure_ascii=False)))
    assert (report.kind, report.documents, report.pairs) == ("glossary", 2, 4)
    pairs = _pairs(conn)
    assert [(p["question"], p["answer"], p["template"]) for p in pairs] == [
        ("선하증권(Bill of Lading)의 뜻은 무엇인가요?", "운송인이 화물을 받았음을 증명하는 증권이다.",
         "glossary_term_to_definition_ko"),
        ("다음 설명에 해당하는 용어는 무엇인가요? 운송인이 화물을 받았음을 증명하는 증권이다.",
         "선하증권(Bill of Lading)", "glossary_definition_to_term_ko"),
        ("신용장의 뜻은 무엇인가요?", "은행이 대금 지급을 확약하는 약정이다.", "glossary_term_to_definition_ko"),
        ("다음 설명에 해당하는 용어는 무엇인가요? 은행이 대금 지급을 확약하는 약정이다.", "신용장",
         "glossary_definition_to_term_ko"),
    ]
    p = pairs[0]
    assert (p["origin"], p["language"], p["status"]) == ("glossary", "ko", "pending")
    assert p["source_id"] == report.source_id and p["document_id"] and p["chunk_id"]
    chunk = get_chunk(conn, p["chunk_id"])
    assert chunk["extract_status"] == "skipped" and "선하증권" in chunk["text"]
    actors = {r[0] for r in conn.execute("SELECT actor FROM reviews")}
    assert actors == {"machine:ingest"}


def test_list_of_lists_is_flattened_and_csv_is_read(write, add, conn):
    nested = [[{"kor_term": "피킹", "eng_term": "Picking", "description": "주문에 맞춰 꺼내는 작업이다."}],
              [{"kor_term": "환적", "eng_term": "Transshipment", "description": "다른 운송수단에 옮겨 싣는 것이다."},
               {"kor_term": "", "description": "용어가 빠진 항목"}]]
    report = add(write("nested.json", json.dumps(nested, ensure_ascii=False)))
    assert (report.documents, report.pairs, len(report.problems)) == (2, 4, 1)
    assert "no term" in report.problems[0]["message"]
    csv_text = '# notice\nterm,description\nLead time,"The time between ordering and receiving, in days."\n'
    report = add(write("g.csv", csv_text))
    assert (report.kind, report.pairs) == ("glossary", 2)
    en = [p for p in _pairs(conn) if p["language"] == "en"]
    assert en[0]["question"] == 'What does "Lead time" mean?'
    assert en[1]["answer"] == "Lead time"


def test_templates_come_from_the_config(write, conn, workspace):
    from curator.ingest.add import add_file

    config = {**workspace.config, "formatters": {**workspace.config["formatters"],
                                                 "glossary_term_to_definition_en": "Define {term}."}}
    add_file(conn, write("g.csv", "term,description\nFill rate,Share of demand met from stock.\n"), kind=None,
             config=config)
    assert _pairs(conn)[0]["question"] == "Define Fill rate."


def test_every_qa_layout_becomes_import_pairs(write, add, conn):
    add(write("faq.jsonl", '{"_about": "x"}\n{"question": "최소 주문 수량이 있나요?", "answer": "네, 있습니다."}\n'))
    add(write("sciq.json", json.dumps([{"question": "What gas do plants absorb?", "correct_answer": "CO2",
                                        "distractor1": "O2", "support": "Photosynthesis uses CO2."}])))
    add(write("alpaca.json", json.dumps({"data": [
        {"instruction": "Compute the insured amount.", "input": "CIF USD 100", "output": "USD 110"},
        {"instruction": "Name a sea-only rule.", "input": "", "output": "FOB"}]})))
    chat = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is FOB?"},
                         {"role": "assistant", "content": "Free On Board."},
                         {"role": "user", "content": "And CIF?"}, {"role": "assistant", "content": "Cost, Insurance"
                                                                                                 " and Freight."}]}
    add(write("chat.jsonl", json.dumps(chat)))
    pairs = _pairs(conn)
    assert [(p["question"], p["answer"], p["template"]) for p in pairs] == [
        ("최소 주문 수량이 있나요?", "네, 있습니다.", "import:qa"),
        ("What gas do plants absorb?", "CO2", "import:sciq"),
        ("Compute the insured amount.\n\nCIF USD 100", "USD 110", "import:alpaca"),
        ("Name a sea-only rule.", "FOB", "import:alpaca"),
        ("What is FOB?", "Free On Board.", "import:chat"),
        ("And CIF?", "Cost, Insurance and Freight.", "import:chat"),
    ]
    assert {p["origin"] for p in pairs} == {"import"}
    assert [p["language"] for p in pairs][:2] == ["ko", "en"]
    second_turn = json.loads(pairs[-1]["meta"])
    assert second_turn["system"] == "Be brief." and second_turn["context"][0]["content"] == "What is FOB?"


def test_unknown_record_fields_ask_for_kind(write, add):
    report = add(write("mystery.json", json.dumps([{"foo": 1, "bar": 2}])))
    assert report.status == "error" and "--kind" in report.error and "bar, foo" in report.error
