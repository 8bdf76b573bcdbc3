"""How each backend is asked for structured output: the keyword arguments for `chat.completions.create`.

- openai: `response_format` `json_schema` with `strict` (the schema trimmed to the
  subset strict mode accepts).
- vllm: `structured_outputs: {"json": schema}` in the request body.
- llamacpp: `response_format` `json_object` with `schema` (grammar-constrained; the
  server rejects `json_schema`).
- ollama: `response_format` `json_schema` without `strict`.
- generic: nothing; the schema is written into the system message instead.

Whatever the server promised, the answer is validated with jsonschema afterwards.
"""

from __future__ import annotations

import copy
import json
from typing import Any

BACKENDS = ("openai", "vllm", "llamacpp", "ollama", "generic")

# Keywords OpenAI's strict mode refuses or ignores; jsonschema still enforces them afterwards.
_STRICT_DROP = ("$schema", "$id", "title", "minLength", "maxLength", "minItems", "maxItems", "default")


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` fit for OpenAI strict mode: every property required, no extra keywords."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items() if k not in _STRICT_DROP}
            if out.get("type") == "object" and "properties" in out:
                out["required"] = list(out["properties"])
                out["additionalProperties"] = False
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node
    return walk(copy.deepcopy(schema))


def plain_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without its identifying header, as sent to servers that compile it into a grammar."""
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id")}


def structured_kwargs(backend: str, schema: dict[str, Any], schema_name: str) -> dict[str, Any]:
    """The extra keyword arguments that ask `backend` for JSON matching `schema`."""
    if backend == "openai":
        return {"response_format": {"type": "json_schema", "json_schema": {
            "name": schema_name, "schema": strict_schema(schema), "strict": True}}}
    if backend == "vllm":
        return {"extra_body": {"structured_outputs": {"json": plain_schema(schema)}}}
    if backend == "llamacpp":
        return {"response_format": {"type": "json_object", "schema": plain_schema(schema)}}
    if backend == "ollama":
        return {"response_format": {"type": "json_schema", "json_schema": {
            "name": schema_name, "schema": plain_schema(schema)}}}
    if backend == "generic":
        return {}
    raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")


def describe_schema(schema: dict[str, Any]) -> str:
    """The schema as text for the system message, for backends that cannot be given it structurally."""
    return ("Answer with one JSON object and nothing else (no prose, no code fences). It must validate "
            "against this JSON Schema:\n" + json.dumps(plain_schema(schema), ensure_ascii=False, indent=1))


def with_schema_in_prompt(messages: list[dict[str, Any]], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages with the schema described in the system message (added first when there is none)."""
    text = describe_schema(schema)
    if messages and messages[0].get("role") == "system":
        return [{**messages[0], "content": messages[0]["content"].rstrip() + "\n\n" + text}, *messages[1:]]
    return [{"role": "system", "content": text}, *messages]
