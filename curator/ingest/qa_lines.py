"""QA tables written one pair a line: `question<delimiter>answer`, with alternatives, comments and continuations.

The shape of quiz and flash-card files (BSD `quiz` data files, exported
spreadsheets, hand-written lists):

    # capitals of Africa                  <- a comment line (first non-blank character '#')
    Algeria:Algiers
    Côte d'Ivoire:Yamoussoukro|Abidjan    <- alternatives: the first is the answer
    {the }cat:[curiosity|care]            <- {optional part}, [a|b] groups alternatives inside a text
    To be{,} or not to be\\:\\            <- '\\:' is a literal ':'; a final '\\' continues the line
    that is the question

- **Delimiter**: `:` by default, a tab for `.tsv` files, any one character
  with `--delimiter`. The line is split at the first unescaped delimiter and
  must hold exactly two fields; a line with more (`a:b:c`) is reported.
- **Alternatives**: `a|b` at the top of a field, or `[a|b]` inside it. The
  first alternative is the answer (or question); the others are kept in the
  pair's meta as `alternatives` (`question_alternatives` for the question),
  each written out the same way.
- **Optional parts** `{x}` are written out in the answer (`{the }sparrow` gives
  "the sparrow"); the field as written is kept in meta as `answer_pattern`.
- **Overstrikes**: an accent typed as a terminal overstrike (`^`, backspace,
  `o`, as old quiz files spell "Côte") becomes the accented letter.
- **Escapes**: a backslash makes the next character literal (`\\:`, `\\|`,
  `\\[`, `\\{`, `\\\\`). A backslash ending a line joins the next line: with a
  space, or directly after a delimiter or a space.
- Blank lines and comment lines are skipped. A line that cannot be read (no
  delimiter, too many fields, an unclosed bracket, an empty side) is reported
  as `file:line` with the reason and skipped; the other lines are added.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from curator.ingest.language import detect_language
from curator.ingest.load_result import LoadedDocument, LoadResult, PairDraft, Problem

_CLOSE = {"[": "]", "{": "}"}
# Accents typed as terminal overstrikes (mark, backspace, letter or letter, backspace, mark), as old quiz files
# spell "Côte" ("C^\bote"): written as the accented letter, since a backspace means nothing to a reader or a model.
_OVERSTRIKE_MARKS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", ",": "\u0327", '"': "\u0308",
                     ":": "\u0308"}
_OVERSTRIKE = re.compile("([\"'`^~,:])\b(\\w)|(\\w)\b([\"'`^~,:])")


class BadLine(Exception):
    """Why one line cannot become a pair; reported with its file and line and skipped."""


@dataclass(frozen=True)
class Field:
    text: str  # the first alternative, optional parts written out
    alternatives: list[str]  # the other alternatives, written out the same way
    pattern: str  # the field as written (after continuation lines are joined)


def logical_lines(text: str, delimiter: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line number, text) of each line after continuations are joined; the number is the first line's."""
    out: list[tuple[int, str]] = []
    pending, pending_line = "", 0
    for offset, raw in enumerate(text.split("\n")):
        line = raw.rstrip("\r")
        number = first_line + offset
        if not pending:
            pending_line = number
        if _continues(line):
            body = line[:-1]
            joiner = "" if not body or body.endswith((delimiter, " ", "\t")) else " "
            pending += body + joiner
            continue
        out.append((pending_line, pending + line))
        pending = ""
    if pending:
        out.append((pending_line, pending.rstrip()))
    return out


def _continues(line: str) -> bool:
    """A line ending in an odd number of backslashes (an even number ends in an escaped backslash)."""
    count = len(line) - len(line.rstrip("\\"))
    return count % 2 == 1


def split_fields(line: str, delimiter: str) -> list[str]:
    """The line's fields at unescaped delimiters outside brackets, escapes left in place for parse_field."""
    fields, current, depth, i = [], [], 0, 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            current.append(line[i:i + 2])
            i += 2
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        if ch == delimiter and depth == 0:
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    fields.append("".join(current))
    return fields


def parse_field(raw: str) -> Field:
    """A field's answer text and alternatives (see the module doc); BadLine for an unclosed bracket."""
    alternatives, end = _alternatives(raw, 0, None)
    if end != len(raw):
        raise BadLine(f"unmatched '{raw[end]}' in {raw.strip()!r} (write '\\{raw[end]}' for the character itself)")
    written = [_first(seq).strip() for seq in alternatives]
    # Other spellings inside the first alternative ([a|b] groups), one group at a time.
    for variant in _group_variants(alternatives[0]):
        if variant.strip() not in written:
            written.append(variant.strip())
    written = [" ".join(_overstrikes(w).split()) for w in written]
    first, others = written[0], [w for w in dict.fromkeys(written[1:]) if w and w != written[0]]
    return Field(first, others, raw.strip())


def _overstrikes(text: str) -> str:
    if "\b" not in text:
        return text

    def accented(m: re.Match) -> str:
        mark, letter = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return unicodedata.normalize("NFC", letter + _OVERSTRIKE_MARKS[mark])

    return _OVERSTRIKE.sub(accented, text)


# A parsed field: a list of alternatives, each a sequence of parts; a part is a literal string, or
# ("[", alternatives) for a group, or ("{", alternatives) for an optional part.
Part = Any


def _alternatives(raw: str, i: int, closer: str | None) -> tuple[list[list[Part]], int]:
    alternatives: list[list[Part]] = [[]]
    literal: list[str] = []

    def flush() -> None:
        if literal:
            alternatives[-1].append("".join(literal))
            literal.clear()

    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            literal.append(raw[i + 1])
            i += 2
            continue
        if ch == "\\":  # a lone backslash at the end: itself
            literal.append(ch)
            i += 1
            continue
        if ch in _CLOSE:
            flush()
            inner, j = _alternatives(raw, i + 1, _CLOSE[ch])
            if j >= len(raw) or raw[j] != _CLOSE[ch]:
                raise BadLine(f"'{ch}' is not closed in {raw.strip()!r} (write '\\{ch}' for the character itself)")
            alternatives[-1].append((ch, inner))
            i = j + 1
            continue
        if ch in "]}":
            flush()
            return alternatives, i  # the closer of this group, or an unmatched one the caller reports
        if ch == "|":
            flush()
            alternatives.append([])
            i += 1
            continue
        literal.append(ch)
        i += 1
    flush()
    return alternatives, len(raw)


def _first(seq: list[Part]) -> str:
    """A sequence written out with the first choice of every group and every optional part included."""
    out = []
    for part in seq:
        out.append(part if isinstance(part, str) else _first(part[1][0]))
    return "".join(out)


def _group_variants(seq: list[Part]) -> list[str]:
    """The sequence written out once for each other choice of each [a|b] group (one group changed at a time)."""
    variants = []
    for k, part in enumerate(seq):
        if isinstance(part, str) or part[0] != "[":
            continue
        for choice in part[1][1:]:
            variants.append(_first(seq[:k]) + _first(choice) + _first(seq[k + 1:]))
    return variants


def load_qa_lines(text: str, name: str, delimiter: str, first_line: int, meta: dict[str, Any]) -> LoadResult:
    """One pair a line (see the module doc); bad lines become problems, the file fails only if none is good."""
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    result = LoadResult(doc_kind="qa", format="lines", meta={**meta, "layout": "lines", "delimiter": delimiter})
    for number, line in logical_lines(text, delimiter, first_line):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{name}:{number}"
        try:
            question, answer = _pair(line, delimiter, shown)
        except BadLine as exc:
            result.problems.append(Problem(where, f"{exc}; skipped"))
            continue
        extra: dict[str, Any] = {}
        if answer.alternatives:
            extra["alternatives"] = answer.alternatives
        if question.alternatives:
            extra["question_alternatives"] = question.alternatives
        if answer.pattern != answer.text:
            extra["answer_pattern"] = answer.pattern
        if question.pattern != question.text:
            extra["question_pattern"] = question.pattern
        draft = PairDraft(question.text, answer.text, "import", "import:lines", meta=extra)
        draft.language = detect_language(question.text + " " + answer.text)
        content = f"Q: {question.text}\n\nA: {answer.text}"
        if answer.alternatives:
            content += "\n\nAlso accepted: " + "; ".join(answer.alternatives)
        result.documents.append(LoadedDocument(
            uri=f"{name}#line-{number}", kind="qa_item", content=content, title=question.text[:120],
            language=draft.language, meta={"line": number, "layout": "lines", **extra}, pairs=[draft]))
    return result


def _pair(line: str, delimiter: str, shown: str) -> tuple[Field, Field]:
    fields = split_fields(line, delimiter)
    if len(fields) == 1:
        parse_field(line)  # an unclosed bracket hides the delimiter: say that rather than "no delimiter"
        raise BadLine(f"no {shown} separating the question from the answer")
    if len(fields) > 2:
        raise BadLine(f"{len(fields)} fields separated by {shown}; a line holds a question and an answer "
                      f"(write '\\{delimiter}' for a {shown} inside the text)" if delimiter != "\t" else
                      f"{len(fields)} fields separated by tabs; a line holds a question and an answer")
    question, answer = parse_field(fields[0]), parse_field(fields[1])
    if not question.text:
        raise BadLine("the question is empty")
    if not answer.text:
        raise BadLine("the answer is empty")
    return question, answer
