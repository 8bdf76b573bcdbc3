"""Turning a model's raw answer into a validated JSON document, or into readable errors for a repair re-ask."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_DECODER = json.JSONDecoder()
MAX_ERRORS = 12


def extract_json(raw: str) -> tuple[Any, str | None]:
    """The JSON document in `raw`: as is, inside a code fence, or the first object in surrounding prose.

    Returns (document, None) or (None, a message saying why nothing parsed).
    """
    text = raw.strip()
    if not text:
        return None, "the answer was empty"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        first_error = exc
    for fenced in _FENCE.findall(text):
        try:
            return json.loads(fenced.strip()), None
        except json.JSONDecodeError:
            pass
    start = text.find("{")
    if start > 0:  # prose around one object; an answer that starts with "{" and fails is broken JSON
        try:
            return _DECODER.raw_decode(text, start)[0], None
        except json.JSONDecodeError:
            pass
    return None, (f"the answer is not valid JSON ({first_error.msg} at line {first_error.lineno} "
                  f"column {first_error.colno})")


@lru_cache(maxsize=64)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    return _validator(json.dumps(schema, sort_keys=True))


def schema_errors(schema: dict[str, Any], document: Any, validator: Draft202012Validator | None = None) -> list[str]:
    """Readable jsonschema errors ('qa_pairs.0: 'evidence' is a required property'); empty when valid."""
    validator = validator or validator_for(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {_message(e)}"
            for e in errors[:MAX_ERRORS]]


def _message(error: Any) -> str:
    """jsonschema's message, without the whole offending value when that is long."""
    if error.validator == "maxItems":
        return f"has {len(error.instance)} items, at most {error.validator_value} allowed"
    if error.validator == "minItems":
        return f"has {len(error.instance)} items, at least {error.validator_value} needed"
    text = error.message
    return text if len(text) <= 300 else text[:297] + "..."


def parse_answer(raw: str | None, schema: dict[str, Any], check: Callable[[Any], list[str]] | None = None,
                 validator: Draft202012Validator | None = None) -> tuple[Any, list[str]]:
    """(document, errors): errors is empty when `raw` holds JSON valid against `schema` that passes `check`."""
    if raw is None:
        return None, ["the model returned no content"]
    document, problem = extract_json(raw)
    if problem:
        return None, [problem]
    errors = schema_errors(schema, document, validator)
    if not errors and check is not None:
        errors = check(document)[:MAX_ERRORS]
    return document, errors
