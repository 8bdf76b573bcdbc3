"""What a loader hands back: documents (with cues and ready-made pairs) and the items it had to skip.

Loaders never touch the store; `curator.ingest.add` writes a whole LoadResult
in one transaction, so a file is added completely or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PairDraft:
    question: str
    answer: str
    origin: str  # glossary | exam | import
    template: str  # formatter template name, or import:<format>
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadedDocument:
    uri: str  # the file's path, or path#entry-N / path#line-N / path#<id> for one record of it
    kind: str  # transcript | glossary_entry | exam_item | qa_item | markdown | text | html | pdf
    content: str
    title: str | None = None
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    cues: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[PairDraft] = field(default_factory=list)


@dataclass
class Problem:
    """An item skipped inside a file that was otherwise added (a malformed exam question, an empty entry)."""

    location: str  # path:line or path#id
    message: str


@dataclass
class LoadResult:
    doc_kind: str  # transcript | glossary | exam | qa | document
    format: str  # srt, vtt, txt, json, jsonl, csv, md, html, pdf
    documents: list[LoadedDocument] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things worth telling the user that skipped nothing
    meta: dict[str, Any] = field(default_factory=dict)
