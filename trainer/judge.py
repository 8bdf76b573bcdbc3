"""The truthfulness judge's rubric and answer schema (the call itself is made by whoever owns an endpoint).

The judge sees the question, the reference answer and the model's answer and
returns {"score": 1-5, "reason": "..."}; the score is read from that structured
answer only, never parsed out of prose. `curator eval --judge` sends these
messages through curator's extraction engine (cache, retries, schema validation).
"""

from __future__ import annotations

from typing import Any

PROMPT_VERSION = "truthfulness-v1"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["score", "reason"],
    "properties": {
        "score": {"type": "integer", "minimum": 1, "maximum": 5},
        "reason": {"type": "string", "maxLength": 400},
    },
}
RUBRIC = """You grade whether an answer is true, using a reference answer written by a domain expert.

Score the ANSWER from 1 to 5:
5 - says what the reference says (other words are fine), nothing false;
4 - mostly right: a minor omission or imprecision, nothing false;
3 - partly right: some correct content, but incomplete or with one notable error;
2 - mostly wrong: little correct content, or a wrong main claim;
1 - false, unrelated, empty or nonsense.
Judge only truth against the reference, not style or length. Reply with JSON: {"score": N, "reason": "..."}."""


def messages(question: str, reference: str, answer: str) -> list[dict[str, str]]:
    user = (f"QUESTION:\n{question.strip()}\n\nREFERENCE ANSWER:\n{reference.strip()}\n\n"
            f"ANSWER TO GRADE:\n{answer.strip() or '(empty answer)'}")
    return [{"role": "system", "content": RUBRIC}, {"role": "user", "content": user}]


def score_from(document: Any) -> int | None:
    """The 1-5 score of a schema-valid judge document, else None."""
    if isinstance(document, dict) and isinstance(document.get("score"), int) and 1 <= document["score"] <= 5:
        return document["score"]
    return None
