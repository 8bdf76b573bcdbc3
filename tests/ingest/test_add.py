from __future__ import annotations

import json
import os

import pytest

from curator.ingest.add import add_paths, summarize


def _count(conn, table):
    return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _snapshot(conn):
    return {t: _count(conn, t) for t in ("sources", "documents", "cues", "chunks", "qa_pairs")}


BAD_INPUTS = {
    "binary.txt": (bytes(range(256)) * 40, "binary data"),
    "latin1.md": ("caf\xe9 au lait\n".encode("latin-1"), "not valid UTF-8"),
    "empty.srt": (b"", "the file is empty"),
    "broken.srt": (b"1\n00:00:01,000 --> 00:00:0x,500\nhello\n", "broken.srt:2: cannot read the timestamp"),
    "syntax.json": (b'{\n  "data": [\n    {"term": "a", "description": "b"},\n  ]\n}\n',
                    "syntax.json:4:3: invalid JSON"),
    "app_shell.html": ((b"<html><head><title>App</title><script src='app.js'></script></head>"
                        b"<body><div id='root'></div></body></html>"), "no main content"),
    "scan.pdf": (["", ""], "no text layer on any of its 2 page(s)"),  # page texts, made into a PDF below
    "broken.pdf": (b"%PDF-1.4\nthis is not really a pdf\n", "not a readable PDF"),
    "only_notice.csv": (b"# nothing but a notice\n", "no content besides its header comment"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_each_bad_input_is_a_clear_error_and_leaves_nothing_behind(write, add, conn, make_pdf, name):
    data, expected = BAD_INPUTS[name]
    if isinstance(data, list):
        data = make_pdf(data)
    path = write(name, data)
    before = _snapshot(conn)
    report = add(path)
    assert report.status == "error"
    assert expected in report.error and str(path) in report.error
    after = _snapshot(conn)
    assert after["documents"] == before["documents"] and after["qa_pairs"] == before["qa_pairs"]
    source = conn.execute("SELECT status, error FROM sources WHERE uri = ?", (str(path),)).fetchone()
    assert source["status"] == "error" and expected in source["error"]
    assert conn.execute("SELECT COUNT(*) FROM errors WHERE location LIKE ?", (f"{path}%",)).fetchone()[0] == 1


def test_a_huge_file_is_refused_without_reading_it(write, add, conn, workspace):
    path = write("huge.txt", b"")
    with open(path, "wb") as f:  # sparse: 2 GB on paper, nothing on disk
        f.truncate(2 * 2**30)
    report = add(path)
    assert report.status == "error" and "2,048 MB" in report.error and "max_file_mb" in report.error


def test_a_folder_goes_on_past_bad_files_and_adding_twice_adds_nothing(write, conn, workspace):
    write("a/good.md", "# Title\n\nSome text about customs clearance.\n")
    write("a/bad.json", "{oops")
    write("a/sub/terms.csv", "term,description\nLead time,Time from order to receipt.\n")
    write("a/README.md", "about this folder")
    write("a/.hidden.md", "hidden")
    write("a/picture.png", b"\x89PNG\r\n")
    root = write("a/good.md", "# Title\n\nSome text about customs clearance.\n").parent
    reports = add_paths(conn, [root], kind=None, config=workspace.config)
    by_name = {os.path.basename(r.path): r.status for r in reports}
    assert by_name == {"bad.json": "error", "good.md": "added", "README.md": "skipped", "picture.png": "skipped",
                       "terms.csv": "added"}
    first = _snapshot(conn)
    again = add_paths(conn, [root], kind=None, config=workspace.config)
    assert summarize(again)["added"] == 0 and summarize(again)["unchanged"] == 2
    assert _snapshot(conn) == first


def test_an_edited_glossary_adds_only_the_new_entries(write, add, conn):
    path = write("g.csv", "term,description\nLead time,Time from order to receipt.\n")
    add(path)
    path.write_text("term,description\nLead time,Time from order to receipt.\nFill rate,Demand met from stock.\n")
    report = add(path)
    assert (report.status, report.documents, report.duplicates, report.pairs) == ("added", 1, 1, 2)
    assert _count(conn, "qa_pairs") == 4


def test_the_same_text_at_two_paths_is_stored_once_with_both_locations(write, add, conn):
    a = add(write("one/page.md", "# Same\n\nIdentical content.\n"))
    b = add(write("two/page.md", "# Same\n\nIdentical content.\n"))
    assert (a.documents, b.documents, b.duplicates) == (1, 0, 1)
    assert _count(conn, "document_locations") == 2


def test_a_failed_file_can_be_retried_once_fixed(write, add, conn):
    path = write("terms.json", '[{"term": "a", "description": ')
    assert add(path).status == "error"
    path.write_text('[{"term": "FOB", "description": "Free on board."}]')
    assert add(path).status == "added"


def test_pdf_pages_without_text_are_named(write, add, conn, make_pdf):
    report = add(write("guide.pdf", make_pdf(["Letters of credit protect exporters.", "", "Banks check documents."])))
    assert report.status == "added" and report.kind == "document"
    assert any("pages 2" in n for n in report.notes)
    doc = conn.execute("SELECT content, meta FROM documents").fetchone()
    assert "Letters of credit" in doc["content"] and "Banks check documents." in doc["content"]
    assert json.loads(doc["meta"])["pages_without_text"] == [2]


def test_kind_override_and_its_limits(write, add):
    path = write("notes.txt", "Customs clearance takes a day. Origin rules matter.")
    assert add(path).kind == "document"
    other = write("notes2.txt", "Customs clearance takes two days. Origin rules matter.")
    assert add(other, kind="transcript").kind == "transcript"
    report = add(write("x.md", "# hi"), kind="glossary")
    assert report.status == "error" and "--kind glossary reads" in report.error


def test_cli_adds_the_sample_corpus_reporting_only_q024(tmp_path, curator_cmd, sample_dir):
    sample = sample_dir
    ws = tmp_path / "ws"
    assert curator_cmd("init", str(ws)).returncode == 0
    run = curator_cmd("--workspace", str(ws), "add", str(sample), "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    files = report["files"]
    assert all(f["status"] in ("added", "skipped") for f in files)
    assert [f["path"] for f in files if f["status"] == "skipped"] == [str(sample / "README.md")]
    problems = [p for f in files for p in f["problems"]]
    assert len(problems) == 1 and "q024" in problems[0]["location"]
    kinds = {os.path.relpath(f["path"], sample): f["kind"] for f in files if f["status"] == "added"}
    assert kinds["transcripts/lecture_letter_of_credit_ko.txt"] == "transcript"
    assert kinds["exam/exam_bank_en.jsonl"] == "exam" and kinds["qa/chat_en.jsonl"] == "qa"
    assert kinds["glossary/supply_chain_glossary_en.csv"] == "glossary"
    pairs = {os.path.relpath(f["path"], sample): f["pairs"] for f in files}
    assert pairs["glossary/trade_terms_ko.json"] == 80 and pairs["exam/exam_bank_ko.json"] == 24

    again = json.loads(curator_cmd("--workspace", str(ws), "add", str(sample), "--json").stdout)
    assert again["counts"]["added"] == 0 and again["counts"]["pairs"] == 0

    status = json.loads(curator_cmd("--workspace", str(ws), "status", "--json").stdout)
    assert any("q024" in e["location"] for e in status["last_errors"])
    assert status["runs"]["by_status"]["done"] >= 2


def test_cli_reports_a_bad_file_and_exits_1(tmp_path, curator_cmd, write):
    ws = tmp_path / "ws"
    curator_cmd("init", str(ws))
    good = write("good.md", "# Fine\n\nText.\n")
    bad = write("bad.json", "{\n  nope\n}")
    run = curator_cmd("--workspace", str(ws), "add", str(good), str(bad))
    assert run.returncode == 1
    assert "bad.json:2:3" in run.stdout and "added" in run.stdout
    status = json.loads(curator_cmd("--workspace", str(ws), "status", "--json").stdout)
    assert status["sources_with_errors"] == 1


def test_kind_on_a_file_already_added_reads_it_again_as_a_new_source_revision(write, add, conn):
    text = write("terms.txt", "Incoterms:rules for delivery\nFOB:Free On Board\n")
    as_document = add(text)
    assert (as_document.status, as_document.kind, as_document.pairs) == ("added", "document", 0)
    assert add(text).status == "unchanged"
    as_qa = add(text, kind="qa")
    assert (as_qa.status, as_qa.kind, as_qa.pairs) == ("added", "qa", 2)
    assert as_qa.source_id != as_document.source_id
    assert "read again as qa (was document" in as_qa.notes[0]
    sources = conn.execute("SELECT doc_kind, status, content_hash FROM sources WHERE uri = ? ORDER BY id",
                           (str(text.resolve()),)).fetchall()
    assert [(s["doc_kind"], s["status"]) for s in sources] == [("document", "ok"), ("qa", "ok")]
    assert sources[0]["content_hash"] == sources[1]["content_hash"]
    # the document reading stays in the store, but its chunks are no longer waiting for the LLM
    old = conn.execute("SELECT c.extract_status, c.extract_error FROM chunks c JOIN documents d ON d.id ="
                       " c.document_id WHERE d.source_id = ?", (as_document.source_id,)).fetchall()
    assert old and all(r["extract_status"] == "skipped" and "read again as qa" in r["extract_error"] for r in old)
    # the same kind again, or no kind, adds nothing more
    assert add(text, kind="qa").status == "unchanged" and add(text).status == "unchanged"
    assert add(text, kind="document").status == "unchanged"


def test_cli_kind_on_an_added_file_is_never_silently_ignored(tmp_path, curator_cmd, write):
    ws = tmp_path / "ws"
    curator_cmd("init", str(ws))
    text = write("cards.txt", "What is FOB?:Free On Board\n")
    assert curator_cmd("--workspace", str(ws), "add", str(text)).returncode == 0
    run = curator_cmd("add", str(text), "--kind", "qa", "--json", "--workspace", str(ws))
    assert run.returncode == 0, run.stderr
    [report] = json.loads(run.stdout)["files"]
    assert (report["status"], report["kind"], report["pairs"]) == ("added", "qa", 1)
    refused = curator_cmd("add", str(text), "--delimiter", ";", "-w", str(ws))
    assert refused.returncode != 0 and "--kind qa" in refused.stderr
