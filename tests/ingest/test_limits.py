"""Input too big or too deep for its reader: one clear line naming the file and line, never a traceback or a
"please report it", and the other files go on. Limits are lowered through the config so test files stay small."""

from __future__ import annotations

import json
import re

from curator.config import load_config


def _entry(i: int, description: str | None = None) -> str:
    return json.dumps({"term": f"Incoterm {i}", "eng_term": f"Term {i}",
                       "description": description or f"Rule {i} says who pays the freight for shipment {i}."},
                      ensure_ascii=False)


def _set_ingest(workspace, **values) -> None:
    """Change [ingest] in curator.toml as a user would, then reload it."""
    text = workspace.config_path.read_text(encoding="utf-8")
    for key, value in values.items():
        text, n = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.MULTILINE)
        assert n == 1, f"{key} is not in curator.toml"
    workspace.config_path.write_text(text, encoding="utf-8")
    workspace.config = load_config(workspace.config_path)


def test_deeply_nested_json_names_the_file_and_line(write, add):
    deep = "[" * 5000 + "1" + "]" * 5000
    path = write("glossary.json", "[\n" + _entry(1) + ",\n" + deep + "\n]\n")
    report = add(path)
    assert report.status == "error"
    assert report.error.startswith(f"{path}:3: ") and "nested deeper" in report.error
    assert "RecursionError" not in report.error and "please report it" not in report.error


def test_a_deeply_nested_json_lines_record_names_its_line(write, add):
    path = write("glossary.jsonl", "\n".join([_entry(1), _entry(2), '{"term": ' + "[" * 5000 + "]" * 5000 + "}"]))
    report = add(path)
    assert report.status == "error" and report.error.startswith(f"{path}:3: ") and "nested deeper" in report.error


def test_an_over_long_csv_field_is_reported_at_its_own_line(write, add):
    rows = ["term,description", "FOB,Free on board: risk passes at the ship's rail.",
            "CIF,Cost insurance and freight.", "EXW," + "x" * 200_000]
    path = write("glossary.csv", "\n".join(rows) + "\n")
    report = add(path)
    assert report.status == "error"
    assert report.error.startswith(f"{path}:4: ") and "longer than 131,072 characters" in report.error


def test_a_field_over_max_text_mb_is_refused_with_its_line(write, add, workspace, conn):
    _set_ingest(workspace, max_text_mb=0.01)  # 10 KB here; 20 MB by default, SQLite itself stops near 1 GB
    big = "Incoterms split costs and risks between seller and buyer. " * 400  # ~23 KB
    path = write("glossary.json", "[\n" + ",\n".join([_entry(1), _entry(2), _entry(3, big)]) + "\n]\n")
    report = add(path)
    assert report.status == "error"
    assert report.error.startswith(f"{path}:4: ") and "max_text_mb" in report.error
    assert "too big" not in report.error and "please report it" not in report.error
    assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 0  # the file is added whole or not at all


def test_a_json_lines_line_over_the_limit_is_refused_before_it_is_parsed(write, add, workspace):
    _set_ingest(workspace, max_text_mb=0.01)
    path = write("glossary.jsonl", "\n".join([_entry(1), _entry(2, "x" * 30_000), _entry(3)]))
    report = add(path)
    assert report.status == "error" and report.error.startswith(f"{path}:2: ") and "max_text_mb" in report.error


def test_a_one_line_text_file_over_the_limit_is_refused_and_the_folder_goes_on(tmp_path, workspace, curator_cmd):
    _set_ingest(workspace, max_text_mb=0.05)  # 50 KB here
    folder = tmp_path / "docs"
    folder.mkdir()
    one_line = "The carrier issues a bill of lading once the goods are on board. " * 2000  # ~130 KB, no newline
    (folder / "dump.txt").write_text(one_line, encoding="utf-8")
    (folder / "notes.md").write_text("# Notes\n\nA letter of credit is a bank's promise to pay.\n", encoding="utf-8")
    res = curator_cmd("-w", str(workspace.root), "add", str(folder), "--json")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    files = {f["path"].rsplit("/", 1)[-1]: f for f in json.loads(res.stdout)["files"]}
    assert files["notes.md"]["status"] == "added"
    assert files["dump.txt"]["status"] == "error" and "max_text_mb" in files["dump.txt"]["error"]
    assert str(folder / "dump.txt") in files["dump.txt"]["error"]
