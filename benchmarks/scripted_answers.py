"""What the scripted server answers: documents that fit the request's schema, built from its chunk.

Strings are filled by property name: a `question` about one of the chunk's sentences
(in Korean when the chunk is), an `answer` and `evidence` quoting that sentence
verbatim; numbers sit inside their bounds, booleans are true. The bad behaviours
(invalid JSON, missing fields, prose around the JSON, ...) are variations of that
valid document.
"""

from __future__ import annotations

import json
import re
from typing import Any

MARKER = re.compile(r"\[\[scripted:\s*([a-z_,\s]+)\]\]")
_CHUNK = re.compile(r"<chunk>\s*(.*?)\s*</chunk>", re.DOTALL)
_SENTENCE = re.compile(r"[^.!?。\n]+[.!?。]?")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def content_for(behaviour: str, request: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """(content, refusal, finish_reason) for a behaviour that answers 200."""
    if behaviour == "refusal":
        return None, "I'm sorry, I can't help with that request.", "stop"
    if behaviour == "empty":
        return "", None, "stop"
    chunk = _chunk_text(request)
    doc = instance(_schema_of(request), chunk)
    pairs = doc.get("qa_pairs") if isinstance(doc, dict) else None
    if isinstance(pairs, list) and pairs:
        if behaviour == "too_many":
            doc["qa_pairs"] = (pairs * 12)[:12]
        elif behaviour == "ungrounded":
            pairs[0]["evidence"] = "Penguins negotiate freight rates on the moon every Thursday."
        elif behaviour == "not_question":
            pairs[0]["question"] = "The lecture covers this topic in detail."
        elif behaviour == "echo":
            pairs[0]["answer"] = pairs[0]["question"]
    if behaviour == "missing_fields":
        doc = {"qa_pairs": [{"question": p.get("question", "?")} for p in (pairs or [{}])]}
    text = json.dumps(doc, ensure_ascii=False)
    if behaviour == "invalid_json":
        return text[: len(text) // 2] + ' "oops', None, "stop"
    if behaviour == "length":
        return text[: len(text) * 2 // 3], None, "length"
    if behaviour == "prose":
        return f"Sure! Here are the pairs you asked for:\n{text}\nLet me know if you need more.", None, "stop"
    if behaviour == "fence":
        return f"```json\n{text}\n```", None, "stop"
    return text, None, "stop"


def _chunk_text(request: dict[str, Any]) -> str:
    users = [m.get("content") or "" for m in request.get("messages", []) if m.get("role") == "user"]
    first = users[0] if users else ""
    found = _CHUNK.search(first)
    return MARKER.sub("", found.group(1) if found else first).strip()


def _schema_of(request: dict[str, Any]) -> dict[str, Any] | None:
    fmt = request.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    if fmt.get("type") == "json_object" and fmt.get("schema"):
        return fmt["schema"]
    structured = request.get("structured_outputs") or {}
    return structured.get("json")


_EXTRACTION = {"type": "object", "properties": {"qa_pairs": {"type": "array", "items": {
    "type": "object", "properties": {"question": {"type": "string"}, "answer": {"type": "string"},
                                     "evidence": {"type": "string"}}}}}}


def instance(schema: dict[str, Any] | None, chunk: str) -> Any:
    """A document satisfying `schema`, with strings taken from `chunk` (question/answer/evidence by name)."""
    sentences = [s.strip() for s in _SENTENCE.findall(chunk) if len(s.strip()) > 3] or [chunk.strip() or "Text."]
    return _fill(schema or _EXTRACTION, sentences, "", [0])


def _fill(schema: dict[str, Any], sentences: list[str], name: str, index: list[int]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return {k: _fill(sub, sentences, k, index) for k, sub in schema.get("properties", {}).items()}
    if kind == "array":
        count = max(schema.get("minItems", 0), min(schema.get("maxItems", 2), 2, len(sentences)))
        items = []
        for _ in range(count):
            items.append(_fill(schema.get("items", {}), sentences, name, index))
            index[0] += 1
        return items
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", 0), schema.get("maximum", 10)
        return max(low, min(high, 8))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(name, sentences[index[0] % len(sentences)])


def _string(name: str, sentence: str) -> str:
    if name == "evidence" or name == "answer":
        return sentence
    if name == "question":
        words = sentence.split()
        topic = " ".join(words[:6]).rstrip(",.;:")
        if _HANGUL.search(sentence):
            return f"강의에서 '{topic}'에 대해 무엇이라고 설명하나요?"
        return f"What does the lecture say about \"{topic}\"?"
    return "scripted answer"
