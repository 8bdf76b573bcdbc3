"""Glossaries (JSON, JSON Lines, CSV): one document per entry, and two formatter pairs per entry.

Field names vary between sources, so each role accepts a few spellings:
the term (`term`, `kor_term`, ...), its English form (`eng_term`, ...) and
the definition (`description`, `definition`, ...). An entry without a term
or a definition is reported and skipped.
"""

from __future__ import annotations

from typing import Any

from curator.ingest.formatters import glossary_pairs
from curator.ingest.jsondata import Record
from curator.ingest.language import detect_language
from curator.ingest.load_result import LoadedDocument, LoadResult, Problem

TERM_KEYS = ("term", "kor_term", "ko_term", "korean", "용어", "word", "headword")
ENG_KEYS = ("eng_term", "en_term", "english", "english_term", "영문", "영문명")
DESCRIPTION_KEYS = ("description", "definition", "desc", "meaning", "explanation", "설명", "정의", "뜻")


def looks_like_glossary(keys: set[str]) -> bool:
    return bool(keys & set(TERM_KEYS)) and bool(keys & set(DESCRIPTION_KEYS))


def load_glossary(records: list[Record], name: str, fmt: str, templates: dict[str, str],
                  meta: dict[str, Any]) -> LoadResult:
    result = LoadResult(doc_kind="glossary", format=fmt, meta=meta)
    for rec in records:
        where = f"{name}:{rec.line}"
        if not isinstance(rec.value, dict):
            result.problems.append(Problem(where, f"entry {rec.ordinal} is not an object with term and description"))
            continue
        term = _first(rec.value, TERM_KEYS)
        eng = _first(rec.value, ENG_KEYS)
        description = _first(rec.value, DESCRIPTION_KEYS)
        missing = [role for role, v in (("term", term), ("description", description)) if not v]
        if missing:
            result.problems.append(Problem(where, f"entry {rec.ordinal} has no {' and no '.join(missing)}; skipped"))
            continue
        language = detect_language(f"{term} {description}")
        head = f"{term} ({eng})" if eng and eng != term else term
        doc = LoadedDocument(
            uri=f"{name}#entry-{rec.ordinal}", kind="glossary_entry", content=f"{head}: {description}",
            title=term, language=language,
            meta={"line": rec.line, "term": term, "eng_term": eng, "description": description},
        )
        doc.pairs = glossary_pairs(term, eng if eng != term else None, description, language, templates)
        result.documents.append(doc)
    return result


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    lowered = {str(k).strip().lower(): v for k, v in record.items()}
    for key in keys:
        value = lowered.get(key)
        if isinstance(value, (str, int, float)) and str(value).strip():
            return " ".join(str(value).split())
    return None
