"""A tighter schema for grammar-constrained servers (llama.cpp), made per chunk.

llama.cpp turns the request's schema into a grammar the model cannot leave, so the
schema can do what the prompt cannot make a small model do: evidence must be one
of the chunk's own sentences (an `enum`), a question must end with a question mark,
strings are bounded (no rambling until max_tokens), and at least one pair is given. The answer is still validated against this schema, which only
adds constraints to schemas/extraction.schema.json.
"""

from __future__ import annotations

import copy
import re
from typing import Any

_SENTENCE = re.compile(r"[^\n.!?。]+(?:[.!?。]+|$)")
MAX_SENTENCES = 80


def sentences(text: str) -> list[str]:
    """The chunk's sentences as written (stripped), long enough to support an answer, without repeats."""
    found = (s.strip() for s in _SENTENCE.findall(text))
    return list(dict.fromkeys(s for s in found if 12 <= len(s) <= 600))[:MAX_SENTENCES]


def guided_schema(base: dict[str, Any], chunk: str) -> dict[str, Any]:
    schema = copy.deepcopy(base)
    pairs = schema["properties"]["qa_pairs"]
    pairs["minItems"] = 1
    props = pairs["items"]["properties"]
    # Bounded, so the model cannot ramble until max_tokens inside a string; the question's
    # characters exclude what would need escaping, or the pattern would let it run past the quote.
    props["question"].update({"pattern": '^[^"\\\\\\n]{4,200}[?]$'})
    props["answer"].update({"maxLength": 400})
    choices = sentences(chunk)
    if choices:
        props["evidence"] = {"enum": choices, "description": props["evidence"].get("description", "")}
    return schema
