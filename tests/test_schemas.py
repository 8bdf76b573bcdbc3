"""Every JSON Schema in schemas/ is itself valid Draft 2020-12, and the defaults obey their schema."""

import json
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from curator.config import default_config, load_config
from curator.errors import ConfigError
from curator.schemas import SCHEMA_DIR, validation_errors

SCHEMAS = sorted(SCHEMA_DIR.glob("*.schema.json"))


def test_the_four_schemas_exist():
    names = {p.name for p in SCHEMAS}
    assert {"extraction.schema.json", "qa_record.schema.json", "version_manifest.schema.json",
            "config.schema.json"} <= names


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_default_config_obeys_its_schema():
    assert validation_errors("config", default_config()) == []


def test_extraction_schema_accepts_good_output_and_names_what_is_missing():
    good = {"qa_pairs": [{"question": "FOB란?", "answer": "본선인도조건", "evidence": "FOB는 본선인도조건이다"}]}
    assert validation_errors("extraction", good) == []
    bad = {"qa_pairs": [{"question": "FOB란?", "evidence": "..."}]}
    assert any("answer" in e for e in validation_errors("extraction", bad))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "curator.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_overrides_merge_over_defaults(tmp_path):
    cfg = load_config(_write(tmp_path, "[llm]\nconcurrency = 32\n"))
    assert cfg["llm"]["concurrency"] == 32
    assert cfg["llm"]["model"] == default_config()["llm"]["model"]
    tomllib.loads(Path(SCHEMA_DIR.parent / "curator" / "config_default.toml").read_text())


@pytest.mark.parametrize("text, expected", [
    ("[llm\nmodel = 'x'", "invalid TOML"),
    ("[llm]\nconcurency = 4\n", "concurency"),
    ("[llm]\nconcurrency = 0\n", "llm.concurrency"),
    ("[llm]\napi_key = 'sk-secret-value'\n", "looks like a secret"),
])
def test_bad_config_names_the_file_and_the_problem(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text))
    message = str(info.value)
    assert "curator.toml" in message and expected in message
    assert "sk-secret-value" not in message
