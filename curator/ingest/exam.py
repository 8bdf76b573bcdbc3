"""Exam banks: `질문:` text items with numbered options and a `정답:` answer, or question/options/answer records.

The text format comes from scraped exam pages, so options may sit on their
own lines, on one line, or glued to the sentence before them
(`...없다.2. 최소 ...`); splitting on the option numbers in order restores
them. Answers may be a number, a number with the option's text, a circled
digit or the text alone. Anything that does not name exactly one option (no
`정답:`, a number out of range, a text that matches no option, a number whose
text contradicts it) is reported with its location and skipped, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from curator.ingest.formatters import exam_pair, format_options
from curator.ingest.jsondata import Record
from curator.ingest.language import detect_language
from curator.ingest.load_result import LoadedDocument, LoadResult, Problem

_QUESTION = re.compile(r"질문\s*[:：]")
_ANSWER = re.compile(r"정답\s*[:：]")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_NUMBER_ANSWER = re.compile(r"^(\d{1,2})\s*(?:번)?\s*(?:[.)．]\s*|\s+|$)(.*)$", re.DOTALL)
TEXT_KEYS = ("text", "content", "body")


class MalformedItem(ValueError):
    """Why an exam item cannot be read; the loader reports it and skips the item."""


@dataclass
class ExamItem:
    question: str
    options: list[str]
    answer_number: int


def looks_like_exam(keys: set[str], records: list[Record]) -> bool:
    if {"question", "options", "answer"} <= keys:
        return True
    return any(isinstance(r.value, dict) and any(isinstance(r.value.get(k), str) and _QUESTION.search(r.value[k])
               for k in TEXT_KEYS) for r in records[:20])


def parse_exam_text(text: str) -> ExamItem:
    """Read one `질문: ... 1. ... 2. ... 정답: ...` item."""
    q = _QUESTION.search(text)
    if not q:
        raise MalformedItem("no '질문:' (question) marker")
    answers = list(_ANSWER.finditer(text, q.end()))
    if not answers:
        raise MalformedItem("no '정답:' (answer) line")
    if len(answers) > 1:
        raise MalformedItem("more than one '정답:' line")
    body, answer_raw = text[q.end():answers[0].start()], text[answers[0].end():].strip()
    markers = _option_markers(body)
    if len(markers) < 2:
        raise MalformedItem("fewer than two numbered options (1. 2. ...) after the question")
    question = " ".join(body[:markers[0][0]].split())
    if not question:
        raise MalformedItem("the question text is empty")
    options = []
    for k, (_, text_start) in enumerate(markers):
        end = markers[k + 1][0] if k + 1 < len(markers) else len(body)
        option = " ".join(body[text_start:end].split())
        if not option:
            raise MalformedItem(f"option {k + 1} is empty")
        options.append(option)
    return ExamItem(question, options, resolve_answer(answer_raw, options))


def resolve_answer(answer: Any, options: list[str]) -> int:
    """The 1-based number of the option an answer names; MalformedItem if it names none or contradicts itself."""
    if isinstance(answer, bool) or answer is None:
        raise MalformedItem(f"answer {answer!r} does not name an option")
    if isinstance(answer, int):
        return _in_range(answer, options)
    text = " ".join(str(answer).split())
    if not text:
        raise MalformedItem("the answer is empty")
    if text[0] in _CIRCLED:
        number, rest = _CIRCLED.index(text[0]) + 1, text[1:].strip(" .)")
    elif (m := _NUMBER_ANSWER.match(text)) and not _matches(text, options):
        number, rest = int(m.group(1)), m.group(2).strip()
    else:
        for i, option in enumerate(options, start=1):
            if _same(text, option):
                return i
        raise MalformedItem(f"answer {text!r} matches none of the {len(options)} options")
    _in_range(number, options)
    if rest and not _same(rest, options[number - 1]):
        raise MalformedItem(f"answer {text!r} names option {number}, but option {number} is "
                            f"{options[number - 1]!r}")
    return number


def load_exam_text_items(records: list[Record], name: str, fmt: str, templates: dict[str, str],
                         meta: dict[str, Any]) -> LoadResult:
    """Records holding a `질문:` text (with an optional `id`)."""
    result = LoadResult(doc_kind="exam", format=fmt, meta=meta)
    for rec in records:
        value = rec.value if isinstance(rec.value, dict) else {"text": rec.value}
        item_id = str(value.get("id") or f"item-{rec.ordinal}")
        where = f"{name}:{rec.line} ({item_id})"
        text = next((value[k] for k in TEXT_KEYS if isinstance(value.get(k), str)), None)
        try:
            if text is None:
                raise MalformedItem("no 'text' field holding the item")
            item = parse_exam_text(text)
        except MalformedItem as exc:
            result.problems.append(Problem(where, f"malformed exam item {item_id}: {exc}; skipped"))
            continue
        result.documents.append(_document(name, item_id, rec.line, text, item, templates))
    return result


def load_exam_records(records: list[Record], name: str, fmt: str, templates: dict[str, str],
                      meta: dict[str, Any]) -> LoadResult:
    """Records with `question`, `options` (a list, or an object keyed by label) and `answer`."""
    result = LoadResult(doc_kind="exam", format=fmt, meta=meta)
    for rec in records:
        value = rec.value if isinstance(rec.value, dict) else {}
        item_id = str(value.get("id") or f"line-{rec.line}")
        where = f"{name}:{rec.line}"
        try:
            item = _record_item(value)
        except MalformedItem as exc:
            result.problems.append(Problem(where, f"malformed exam item {item_id}: {exc}; skipped"))
            continue
        text = f"{item.question}\n{format_options(item.options)}\n정답: {item.answer_number}"
        result.documents.append(_document(name, item_id, rec.line, text, item, templates, raw=value))
    return result


def _record_item(value: dict[str, Any]) -> ExamItem:
    question = value.get("question")
    if not isinstance(question, str) or not question.strip():
        raise MalformedItem("no 'question' text")
    options = value.get("options")
    if isinstance(options, dict):
        options = list(options.values())
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, (str, int, float)) for o in options):
        raise MalformedItem("'options' must be a list of at least two texts")
    options = [" ".join(str(o).split()) for o in options]
    if any(not o for o in options):
        raise MalformedItem("an option is empty")
    if "answer" not in value:
        raise MalformedItem("no 'answer'")
    return ExamItem(" ".join(question.split()), options, resolve_answer(value["answer"], options))


def _document(name: str, item_id: str, line: int, text: str, item: ExamItem, templates: dict[str, str],
              raw: dict[str, Any] | None = None) -> LoadedDocument:
    language = detect_language(item.question + " " + " ".join(item.options))
    meta = {"line": line, "id": item_id, "question": item.question, "options": item.options,
            "answer_number": item.answer_number}
    doc = LoadedDocument(uri=f"{name}#{item_id}", kind="exam_item", content=text, title=item_id,
                         language=language, meta=meta)
    doc.pairs = [exam_pair(item.question, item.options, item.answer_number, language, templates)]
    return doc


def _option_markers(body: str) -> list[tuple[int, int]]:
    """(marker start, option text start) for options 1, 2, ... found in order; circled digits also count."""
    markers: list[tuple[int, int]] = []
    pos = 0
    for k in range(1, 11):
        pattern = re.compile(rf"(?<!\d){k}[.)．](?!\d)\s*|{_CIRCLED[k - 1]}\s*")
        m = pattern.search(body, pos)
        if not m:
            break
        markers.append((m.start(), m.end()))
        pos = m.end() + 1
    return markers


def _in_range(number: int, options: list[str]) -> int:
    if not 1 <= number <= len(options):
        raise MalformedItem(f"answer {number} is not one of the options 1-{len(options)}")
    return number


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).rstrip(".").casefold() == " ".join(b.split()).rstrip(".").casefold()


def _matches(text: str, options: list[str]) -> bool:
    return any(_same(text, o) for o in options)
