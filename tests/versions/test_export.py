"""Every export format loads back with datasets and with pandas and holds the version's pairs."""

from __future__ import annotations

import json

import datasets
import pandas as pd
import pytest

from curator.errors import CuratorError
from curator.versions import create_version, export_version

FILE_TYPE = {"alpaca": "json", "sharegpt": "json", "openai": "json", "trl": "json", "jsonl": "json", "csv": "csv",
             "parquet": "parquet"}


def _read_pandas(path) -> pd.DataFrame:
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_parquet(path)


def _question_and_answer(fmt: str, row: dict) -> tuple[str, str]:
    if fmt == "alpaca":
        return row["instruction"], row["output"]
    if fmt == "sharegpt":
        turns = {t["from"]: t["value"] for t in row["conversations"]}
        return turns["human"], turns["gpt"]
    if fmt == "openai":
        turns = {t["role"]: t["content"] for t in row["messages"]}
        return turns["user"], turns["assistant"]
    if fmt == "trl":
        return row["prompt"][-1]["content"], row["completion"][0]["content"]
    return row["question"], row["answer"]


@pytest.mark.parametrize("fmt", list(FILE_TYPE))
def test_each_format_loads_with_datasets_and_pandas_and_matches_the_version(seeded, tmp_path, hf_cache, fmt):
    ws, _ = seeded
    version = create_version(ws, message="export")
    rows = pd.read_parquet(version.path / "data.parquet")
    result = export_version(ws, version.id, fmt, out=tmp_path / fmt)
    files = {f["split"]: tmp_path / fmt / f"{f['split']}.{'jsonl' if FILE_TYPE[fmt] == 'json' else fmt}"
             for f in result.files}
    assert {f["path"] for f in result.files} == {str(p) for p in files.values()}
    if fmt in ("jsonl", "csv"):
        # Text formats carry no types: a column null in every train row but set in a test row cannot be
        # inferred for both files at once, so full records in jsonl or csv are loaded one file at a time.
        loaded = {split: datasets.load_dataset(FILE_TYPE[fmt], data_files=str(path), split="train")
                  for split, path in files.items()}
    else:
        loaded = datasets.load_dataset(FILE_TYPE[fmt], data_files={k: str(v) for k, v in files.items()})
    for split, path in files.items():
        expected = rows[rows["split"] == split]
        want = sorted(zip(expected["question"], expected["answer"]))
        assert sorted(_question_and_answer(fmt, r) for r in loaded[split]) == want
        frame = _read_pandas(path)
        assert len(frame) == len(expected)
        assert sorted(_question_and_answer(fmt, r) for r in frame.to_dict(orient="records")) == want
    if fmt in ("jsonl", "csv", "parquet"):
        assert {"source_uri", "lineage_id", "reviewer", "split"} <= set(loaded["train"].column_names)


def test_context_template_and_system_prompt(seeded, tmp_path, hf_cache):
    ws, ids = seeded
    version = create_version(ws, message="context")
    out = tmp_path / "chat.jsonl"
    export_version(ws, version.id, "openai", out=out, split="all", context=True,
                   template="Context:\n{context}\n\nQ: {question}", system="You are a trade assistant.")
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_user = {m["messages"][1]["content"]: m for m in lines}
    llm_prompt = next(p for p in by_user if "FOB mean" in p)
    assert llm_prompt.startswith("Context:\nIncoterms define who pays for freight.")
    assert all(m["messages"][0] == {"role": "system", "content": "You are a trade assistant."} for m in lines)
    glossary = next(p for p in by_user if "신용장" in p)
    assert glossary == "Context:\n\n\nQ: 신용장(L/C)의 뜻은 무엇인가요?"  # no chunk: the context is empty
    alpaca = tmp_path / "alpaca"
    export_version(ws, version.id, "alpaca", out=alpaca, context=True)
    train = pd.read_json(alpaca / "train.jsonl", lines=True)
    test = pd.read_json(alpaca / "test.jsonl", lines=True) if (alpaca / "test.jsonl").exists() else train[:0]
    both = pd.concat([train, test])
    assert both.loc[both["instruction"] == "What does FOB mean?", "input"].item().startswith("Incoterms define")
    records = tmp_path / "records.parquet"
    export_version(ws, version.id, "parquet", out=records, context=True)
    frame = pd.read_parquet(records).set_index("pair_id")
    assert frame.loc[ids["llm"], "context"].startswith("Incoterms") and pd.isna(frame.loc[ids["glossary"], "context"])


def test_an_existing_file_needs_force(seeded, tmp_path):
    ws, _ = seeded
    version = create_version(ws, message="force")
    out = tmp_path / "train.jsonl"
    export_version(ws, version.id, "jsonl", out=out, split="train")
    before = out.read_bytes()
    with pytest.raises(CuratorError, match="already exists; pass --force"):
        export_version(ws, version.id, "openai", out=out, split="train")
    assert out.read_bytes() == before
    export_version(ws, version.id, "openai", out=out, split="train", force=True)
    assert out.read_bytes() != before and "messages" in out.read_text(encoding="utf-8")


def test_no_writing_outside_the_chosen_folder(seeded, tmp_path):
    ws, _ = seeded
    version = create_version(ws, message="paths")
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    outside = tmp_path / "elsewhere.jsonl"
    (out_dir / "train.jsonl").symlink_to(outside)
    with pytest.raises(CuratorError, match="outside"):
        export_version(ws, version.id, "jsonl", out=out_dir, force=True)
    assert not outside.exists()
    with pytest.raises(CuratorError, match="not a version id"):
        export_version(ws, "../../etc", "jsonl", out=out_dir)


def test_bad_template_and_mismatched_file_type_are_refused(seeded, tmp_path):
    ws, _ = seeded
    version = create_version(ws, message="bad input")
    with pytest.raises(CuratorError, match=r"\{answer\}"):
        export_version(ws, version.id, "openai", out=tmp_path / "x", template="{question} {answer}")
    with pytest.raises(CuratorError, match="writes .parquet files"):
        export_version(ws, version.id, "parquet", out=tmp_path / "x.csv")
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.csv").exists()


def test_export_command_default_folder_and_json_report(seeded, curator_cmd):
    ws, _ = seeded
    version = create_version(ws, message="cli")
    res = curator_cmd("-w", str(ws.root), "export", "latest", "--format", "trl", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    expected_dir = ws.path("exports") / version.id / "trl"
    assert {f["path"] for f in report["files"]} <= {str(expected_dir / "train.jsonl"), str(expected_dir / "test.jsonl")}
    again = curator_cmd("-w", str(ws.root), "export", "latest", "--format", "trl")
    assert again.returncode == 1 and "--force" in again.stderr


def test_one_existing_split_file_stops_the_export_before_anything_is_written(seeded, tmp_path):
    ws, _ = seeded
    version = create_version(ws, message="atomic")
    out = tmp_path / "out"
    out.mkdir()
    (out / "test.jsonl").write_text("mine\n", encoding="utf-8")
    with pytest.raises(CuratorError, match="test.jsonl already exists"):
        export_version(ws, version.id, "jsonl", out=out)
    assert sorted(p.name for p in out.iterdir()) == ["test.jsonl"]  # no train.jsonl, no temporary file
    assert (out / "test.jsonl").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("where", ["plain file", "under a file", "unwritable"])
def test_out_where_nothing_can_be_written_is_a_one_line_error(seeded, tmp_path, curator_cmd, where):
    ws, _ = seeded
    create_version(ws, message="bad out")
    plain = tmp_path / "notes.txt"
    plain.write_text("keep me\n", encoding="utf-8")
    out = {"plain file": plain, "under a file": plain / "exports" / "x",
           "unwritable": "/proc/curator-cannot-write-here/x"}[where]
    res = curator_cmd("-w", str(ws.root), "export", "latest", "--format", "jsonl", "--out", str(out))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr and res.stderr.startswith("error: "), res.stderr
    named = "/proc/curator-cannot-write-here" if where == "unwritable" else str(plain)
    assert named in res.stderr, res.stderr
    assert plain.read_text(encoding="utf-8") == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "ws"]  # ws: the workspace
