"""Which loader reads a file: by extension, then by the fields of its records, unless --kind says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from curator.ingest.documents import load_html, load_markdown, load_pdf, load_plain_text
from curator.ingest.errors import IngestError
from curator.ingest.exam import load_exam_records, load_exam_text_items, looks_like_exam
from curator.ingest.glossary import load_glossary, looks_like_glossary
from curator.ingest.jsondata import csv_records, json_records, jsonl_records, record_keys
from curator.ingest.load_result import LoadResult
from curator.ingest.qa_import import load_qa, qa_format
from curator.ingest.qa_lines import load_qa_lines
from curator.ingest.textfile import read_text
from curator.ingest.transcripts import load_transcript, parse_stamped_lines

KINDS = ("transcript", "glossary", "exam", "qa", "document")
SUPPORTED = (".srt", ".vtt", ".txt", ".json", ".jsonl", ".csv", ".tsv", ".md", ".markdown", ".html", ".htm",
             ".pdf")
_DATA_EXT = (".json", ".jsonl", ".csv", ".tsv")
_ONE_DOCUMENT = (".srt", ".vtt", ".txt", ".md", ".markdown", ".html", ".htm")  # the whole file is one text
_KIND_EXTENSIONS = {
    "transcript": (".srt", ".vtt", ".txt"),
    "glossary": _DATA_EXT,
    "exam": (".json", ".jsonl"),
    "qa": _DATA_EXT,
    "document": (".md", ".markdown", ".txt", ".html", ".htm", ".pdf"),
}
# A .txt file is read as a transcript when its name or a folder above it says so (or its lines carry times).
_TRANSCRIPT_NAMES = re.compile(r"(?<![a-z])(?:transcript|lecture|subtitle|caption|script)s?(?![a-z])|강의|녹취|자막",
                               re.IGNORECASE)


def load_file(path: Path, data: bytes, kind: str | None, config: dict[str, Any]) -> LoadResult:
    """Read one file's bytes into documents and pairs; IngestError if the file as a whole cannot be used."""
    name, ext = str(path), path.suffix.lower()
    if kind == "qa" and _qa_lines_file(ext, config):
        return _load_qa_lines(path, data, _qa_delimiter(ext, config))
    if ext not in SUPPORTED:
        raise IngestError(f"unsupported file type '{ext or path.name}'; curator reads {' '.join(SUPPORTED)}"
                          " (a question<delimiter>answer file: --kind qa)", name)
    if kind is not None and ext not in _KIND_EXTENSIONS[kind]:
        raise IngestError(f"--kind {kind} reads {' '.join(_KIND_EXTENSIONS[kind])} files, not {ext}", name)
    templates = config.get("formatters", {})
    if ext in _ONE_DOCUMENT and len(data) > max_text_chars(config):
        # refused before decoding: such a file is one text, split and chunked in memory several times over
        raise IngestError(f"the file is {len(data) / 2**20:,.1f} MB of text, over the [ingest].max_text_mb limit of "
                          f"{max_text_chars(config) / 2**20:,.1f} MB for one document; split it or raise the limit",
                          name)
    if ext in (".srt", ".vtt"):
        return load_transcript(read_text(path, data, hash_comments=ext == ".srt"), ext[1:])
    if ext == ".txt":
        if kind == "transcript" or (kind is None and _txt_is_transcript(path, data)):
            return load_transcript(read_text(path, data, hash_comments=True), "txt")
        return load_plain_text(path, data)
    if ext in (".md", ".markdown"):
        return load_markdown(path, data)
    if ext in (".html", ".htm"):
        return load_html(path, data)
    if ext == ".pdf":
        return load_pdf(path, data)
    return _load_records(path, data, kind, templates, max_text_chars(config))


def max_text_chars(config: dict[str, Any]) -> int:
    """[ingest].max_text_mb as characters: the most text taken as one document, field or line."""
    return int(config.get("ingest", {}).get("max_text_mb", 20) * 2**20)


def _load_records(path: Path, data: bytes, kind: str | None, templates: dict[str, str],
                  max_text: int | None = None) -> LoadResult:
    name, ext = str(path), path.suffix.lower()
    tf = read_text(path, data, hash_comments=ext in (".csv", ".tsv"))
    fmt = ext[1:]
    if fmt == "json":
        records = json_records(tf.text, name, tf.first_line)
    elif fmt == "jsonl":
        records = jsonl_records(tf.text, name, tf.first_line, max_line_chars=max_text)
    else:
        records = csv_records(tf.text, name, tf.first_line)
    if not records:
        raise IngestError("the file holds no records", name)
    meta = {"encoding": tf.encoding, "records": len(records), **({"header_comment": tf.header} if tf.header else {})}
    keys = record_keys(records)
    text_exam = any(isinstance(r.value, dict) and "question" not in r.value for r in records[:20])
    if kind == "glossary" or (kind is None and looks_like_glossary(keys)):
        return load_glossary(records, name, fmt, templates, meta)
    if kind == "exam" or (kind is None and looks_like_exam(keys, records)):
        if {"question", "options"} <= keys and not text_exam:
            return load_exam_records(records, name, fmt, templates, meta)
        return load_exam_text_items(records, name, fmt, templates, meta)
    layout = qa_format(keys)
    if layout and kind in (None, "qa"):
        return load_qa(records, name, fmt, layout, meta)
    shown = ", ".join(sorted(keys)[:12]) or "none"
    if kind == "qa" and fmt == "tsv":
        return _load_qa_lines(path, data, "\t")  # no QA header: question<tab>answer lines
    if kind == "qa":
        raise IngestError(f"--kind qa expects question/answer, question/correct_answer, instruction/input/output "
                          f"or messages fields; found: {shown} (for question<delimiter>answer lines give "
                          "--delimiter)", name)
    raise IngestError(f"cannot tell whether this is a glossary, an exam bank or a QA file from its fields "
                      f"({shown}); name the kind with --kind", name)


def _txt_is_transcript(path: Path, data: bytes) -> bool:
    if any(_TRANSCRIPT_NAMES.search(part) for part in path.parts[-4:]):
        return True
    try:
        return parse_stamped_lines(data[:65536].decode("utf-8", errors="ignore"), str(path)) is not None
    except IngestError:
        return True  # it has timestamps, broken ones: the transcript reader will say where


def _qa_lines_file(ext: str, config: dict[str, Any]) -> bool:
    """Whether a file added with --kind qa is read as question<delimiter>answer lines (see qa_lines).

    Records (JSON, JSON Lines, a CSV/TSV with a header) stay records unless a
    delimiter is named; text and files of other types are lines.
    """
    if config.get("ingest", {}).get("qa_delimiter"):
        return ext not in (".json", ".jsonl")
    return ext not in _DATA_EXT


def _qa_delimiter(ext: str, config: dict[str, Any]) -> str:
    return config.get("ingest", {}).get("qa_delimiter") or ("\t" if ext == ".tsv" else ":")


def _load_qa_lines(path: Path, data: bytes, delimiter: str) -> LoadResult:
    tf = read_text(path, data)
    meta = {"encoding": tf.encoding}
    return load_qa_lines(tf.text, str(path), delimiter, tf.first_line, meta)
