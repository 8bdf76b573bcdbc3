"""The JSON Schemas in schemas/: loading them and validating documents against them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
NAMES = ("extraction", "qa_record", "version_manifest", "config")


@cache
def load_schema(name: str) -> dict[str, Any]:
    path = SCHEMA_DIR / f"{name}.schema.json"
    if not path.is_file():
        raise FileNotFoundError(f"schema {name!r} not found at {path}; is curator installed from its repository?")
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name))


def validation_errors(name: str, document: Any) -> list[str]:
    """Readable errors ('llm.concurrency: 0 is less than the minimum of 1'); empty when valid."""
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors]
