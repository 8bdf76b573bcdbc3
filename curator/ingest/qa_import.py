"""QA files people already have: question/answer, SciQ (question/correct_answer), Alpaca, chat messages.

Each record becomes a `qa_item` document (so review can show the record a
pair came from) and its pairs, with origin `import` and the template
`import:<format>`. A chat with several user/assistant exchanges gives one
pair per exchange; the turns before it are kept in the pair's meta as
context, and the system message too.
"""

from __future__ import annotations

from typing import Any

from curator.ingest.jsondata import Record
from curator.ingest.language import detect_language
from curator.ingest.load_result import LoadedDocument, LoadResult, PairDraft, Problem

FORMATS = ("chat", "alpaca", "sciq", "qa")


class BadRecord(Exception):
    """Why one record cannot become a pair; the loader reports it and skips the record."""


def qa_format(keys: set[str]) -> str | None:
    """Which QA layout the record keys show, or None."""
    if "messages" in keys or "conversations" in keys:
        return "chat"
    if {"instruction", "output"} <= keys:
        return "alpaca"
    if {"question", "correct_answer"} <= keys:
        return "sciq"
    if {"question", "answer"} <= keys and "options" not in keys:
        return "qa"
    return None


def load_qa(records: list[Record], name: str, fmt: str, layout: str, meta: dict[str, Any]) -> LoadResult:
    result = LoadResult(doc_kind="qa", format=fmt, meta={**meta, "layout": layout})
    for rec in records:
        where = f"{name}:{rec.line}"
        value = rec.value if isinstance(rec.value, dict) else {}
        try:
            drafts, content, extra = _READERS[layout](value)
        except BadRecord as exc:
            result.problems.append(Problem(where, f"record {rec.ordinal}: {exc}; skipped"))
            continue
        language = detect_language(content)
        for d in drafts:
            d.language = detect_language(d.question + " " + d.answer)
        doc = LoadedDocument(uri=f"{name}#line-{rec.line}" if fmt == "jsonl" else f"{name}#item-{rec.ordinal}",
                             kind="qa_item", content=content, title=drafts[0].question[:120], language=language,
                             meta={"line": rec.line, "layout": layout, **extra}, pairs=drafts)
        result.documents.append(doc)
    return result


def _text(value: dict[str, Any], key: str, required: bool = True) -> str:
    v = value.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise BadRecord(f"'{key}' is missing or empty")
        return ""
    if not isinstance(v, (str, int, float)):
        raise BadRecord(f"'{key}' is not text")
    return str(v).strip()


def _read_qa(value: dict[str, Any]) -> tuple[list[PairDraft], str, dict]:
    q, a = _text(value, "question"), _text(value, "answer")
    return [PairDraft(q, a, "import", "import:qa")], f"Q: {q}\n\nA: {a}", {}


def _read_sciq(value: dict[str, Any]) -> tuple[list[PairDraft], str, dict]:
    q, a = _text(value, "question"), _text(value, "correct_answer")
    support = _text(value, "support", required=False)
    distractors = [value[k] for k in sorted(value) if k.startswith("distractor") and value[k]]
    extra = {"support": support, "distractors": distractors} if support or distractors else {}
    content = f"Q: {q}\n\nA: {a}" + (f"\n\nSupport: {support}" if support else "")
    return [PairDraft(q, a, "import", "import:sciq", meta=extra)], content, extra


def _read_alpaca(value: dict[str, Any]) -> tuple[list[PairDraft], str, dict]:
    instruction, output = _text(value, "instruction"), _text(value, "output")
    extra_input = _text(value, "input", required=False)
    question = f"{instruction}\n\n{extra_input}" if extra_input else instruction
    return [PairDraft(question, output, "import", "import:alpaca")], f"Q: {question}\n\nA: {output}", {}


def _read_chat(value: dict[str, Any]) -> tuple[list[PairDraft], str, dict]:
    messages = value.get("messages", value.get("conversations"))
    if not isinstance(messages, list) or not messages:
        raise BadRecord("'messages' is not a list of messages")
    turns = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise BadRecord(f"message {i + 1} is not an object")
        role = str(m.get("role", m.get("from", ""))).lower()
        role = {"human": "user", "gpt": "assistant", "bot": "assistant"}.get(role, role)
        content = m.get("content", m.get("value"))
        if role not in ("system", "user", "assistant") or not isinstance(content, str):
            raise BadRecord(f"message {i + 1} needs a role (system/user/assistant) and a text content")
        turns.append((role, content.strip()))
    system = " ".join(c for r, c in turns if r == "system") or None
    dialogue = [(r, c) for r, c in turns if r != "system"]
    drafts = []
    for k in range(len(dialogue) - 1):
        (r1, question), (r2, answer) = dialogue[k], dialogue[k + 1]
        if r1 == "user" and r2 == "assistant" and question and answer:
            meta: dict[str, Any] = {"turn": len(drafts) + 1}
            if system:
                meta["system"] = system
            if k:
                meta["context"] = [{"role": r, "content": c} for r, c in dialogue[:k]]
            drafts.append(PairDraft(question, answer, "import", "import:chat", meta=meta))
    if not drafts:
        raise BadRecord("no user message followed by an assistant answer")
    content = "\n\n".join(f"{r}: {c}" for r, c in turns)
    return drafts, content, {"system": system} if system else {}


_READERS = {"qa": _read_qa, "sciq": _read_sciq, "alpaca": _read_alpaca, "chat": _read_chat}
