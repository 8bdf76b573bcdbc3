"""Deterministic QA formatters: glossary entries and exam items become pairs through templates, no LLM.

Templates live in `[formatters]` of curator.toml, one per purpose and language
(`<purpose>_<lang>`, e.g. `glossary_term_to_definition_ko`); a language
without its own template uses the English one. Each pair records the name of
the template that made it, so a bad template can be found and its pairs
re-made. A bracketed `({eng_term})` disappears when an entry has no English
term, instead of leaving empty brackets behind.
"""

from __future__ import annotations

import re
import string
from typing import Any

from curator.ingest.errors import IngestError
from curator.ingest.load_result import PairDraft

GLOSSARY_TEMPLATES = ("glossary_term_to_definition", "glossary_definition_to_term", "glossary_term_answer")
EXAM_TEMPLATES = ("exam", "exam_answer")
_EMPTY_ENG = re.compile(r"\s?[(\[（]\s*\{eng_term\}\s*[)\]）]|\s?[-–—/]\s*\{eng_term\}")


def template_for(templates: dict[str, str], purpose: str, language: str | None) -> tuple[str, str]:
    """(name, text) of the template for a purpose in a language, falling back to English."""
    for lang in (language, "en"):
        name = f"{purpose}_{lang}"
        if lang and name in templates:
            return name, templates[name]
    raise IngestError(f"[formatters] has no template '{purpose}_{language}' nor '{purpose}_en'")


def fill(template: str, name: str, values: dict[str, Any]) -> str:
    """The template with its {fields} filled; a field with no value drops its bracketed group."""
    if not values.get("eng_term"):
        template = _EMPTY_ENG.sub("", template)
    fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    unknown = fields - values.keys()
    if unknown:
        raise IngestError(f"[formatters].{name} uses unknown field(s) {', '.join(sorted(unknown))}; "
                          f"available: {', '.join(sorted(values))}")
    return template.format(**{k: ("" if v is None else v) for k, v in values.items()}).strip()


def glossary_pairs(term: str, eng_term: str | None, description: str, language: str,
                   templates: dict[str, str]) -> list[PairDraft]:
    """Two pairs per entry: term to definition, and definition to term (with the English term if any)."""
    values = {"term": term, "eng_term": eng_term or "", "description": description}
    name_q, tpl_q = template_for(templates, "glossary_term_to_definition", language)
    name_r, tpl_r = template_for(templates, "glossary_definition_to_term", language)
    name_a, tpl_a = template_for(templates, "glossary_term_answer", language)
    term_answer = fill(tpl_a, name_a, values)
    return [
        PairDraft(fill(tpl_q, name_q, values), description, "glossary", name_q, language),
        PairDraft(fill(tpl_r, name_r, values), term_answer, "glossary", name_r, language),
    ]


def exam_pair(question: str, options: list[str], answer_number: int, language: str,
              templates: dict[str, str]) -> PairDraft:
    """One pair: the question with its numbered options, answered by the correct option's text."""
    values = {"question": question, "options": format_options(options), "answer": options[answer_number - 1],
              "number": answer_number}
    name_q, tpl_q = template_for(templates, "exam", language)
    name_a, tpl_a = template_for(templates, "exam_answer", language)
    return PairDraft(fill(tpl_q, name_q, values), fill(tpl_a, name_a, values), "exam", name_q, language,
                     meta={"answer_template": name_a, "answer_number": answer_number})


def format_options(options: list[str]) -> str:
    return "\n".join(f"{i}. {text}" for i, text in enumerate(options, start=1))
