"""What makes an extraction answer usable beyond its schema: the checks a repair re-ask reports back.

Each pair needs a non-empty question and answer, a question that is a question
(and not the same as another pair's), an answer that says more than the question,
and evidence quoted from the chunk
(found by rapidfuzz `partial_ratio` at or above the cutoff), and the answer may
hold at most `max_pairs` pairs. `ground` returns where the evidence sits in the
chunk so the reviewer sees the grounding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

_EN_OPENERS = ("what", "how", "why", "when", "where", "which", "who", "whom", "whose", "is", "are", "was", "were",
               "do", "does", "did", "can", "could", "should", "would", "will", "has", "have", "explain",
               "describe", "list", "name", "define", "compare", "give", "state", "identify", "summarize")
_KO_ENDINGS = ("까", "까요", "나요", "가요", "는가", "은가", "인가", "을까", "시오", "세요", "하라", "보라")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def is_question(text: str) -> bool:
    t = text.strip()
    if t.endswith(("?", "？")):
        return True
    words = t.split()
    if words and words[0].lower().strip("\"'(") in _EN_OPENERS:
        return True
    return t.rstrip(".!。 ").endswith(_KO_ENDINGS) and bool(re.search(r"[\uac00-\ud7a3]", t))


@dataclass(frozen=True)
class Grounding:
    start: int | None
    end: int | None
    score: float


def ground(evidence: str, chunk: str) -> Grounding:
    """Where `evidence` best matches inside `chunk`, and how well (0-100)."""
    quote = evidence.strip()
    if not quote:
        return Grounding(None, None, 0.0)
    exact = chunk.find(quote)
    if exact != -1:
        return Grounding(exact, exact + len(quote), 100.0)
    found = fuzz.partial_ratio_alignment(quote, chunk, processor=None)
    if found is None:
        return Grounding(None, None, 0.0)
    if len(quote) > len(chunk):  # rapidfuzz aligned the chunk inside the quote: the whole chunk is the span
        return Grounding(0, len(chunk), round(found.score, 2))
    return Grounding(found.dest_start, found.dest_end, round(found.score, 2))


class ExtractionCheck:
    """Callable check for the engine: the errors of one answer for one chunk (empty when usable)."""

    def __init__(self, chunk: str, *, max_pairs: int, evidence_cutoff: float) -> None:
        self.chunk, self.max_pairs, self.cutoff = chunk, max_pairs, evidence_cutoff
        self.groundings: list[Grounding] = []

    def __call__(self, document: Any) -> list[str]:
        pairs = document.get("qa_pairs", []) if isinstance(document, dict) else []
        errors: list[str] = []
        if len(pairs) > self.max_pairs:
            errors.append(f"qa_pairs: {len(pairs)} pairs given, at most {self.max_pairs} allowed")
        self.groundings = []
        seen: dict[str, int] = {}
        for i, pair in enumerate(pairs):
            q, a, e = (normalize(str(pair.get(k, ""))) for k in ("question", "answer", "evidence"))
            where = f"qa_pairs.{i}"
            if q and q.casefold() in seen:
                errors.append(f"{where}.question: repeats qa_pairs.{seen[q.casefold()]}.question; ask something else")
            seen.setdefault(q.casefold(), i)
            if not q:
                errors.append(f"{where}.question: is empty")
            elif not is_question(q):
                errors.append(f"{where}.question: {q[:80]!r} is not a question (end it with a question mark)")
            if not a:
                errors.append(f"{where}.answer: is empty")
            elif a.casefold() == q.casefold():
                errors.append(f"{where}.answer: repeats the question instead of answering it")
            grounding = ground(e, self.chunk)
            self.groundings.append(grounding)
            if not e:
                errors.append(f"{where}.evidence: is empty; quote the passage that supports the answer")
            elif grounding.score < self.cutoff:
                errors.append(f"{where}.evidence: {e[:80]!r} was not found in the text "
                              f"(match {grounding.score:.0f} < {self.cutoff:g}); copy it word for word")
        return errors
