"""Records out of JSON, JSON Lines and CSV files, each with the line it starts on.

Accepted shapes: a top-level list of records; an object holding the list
under `data` (or `items`, `records`, `entries`), with notes such as `_about`
beside it; lists of lists (one inner list per scraped page), flattened; and
in JSON Lines, lines whose keys all start with `_` are notes, not records.
A syntax error fails the whole file with its line and column: a file that is
not valid JSON is never half-read.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from curator.ingest.errors import IngestError

LIST_KEYS = ("data", "items", "records", "entries")
TOO_DEEP = "nested deeper than Python's JSON reader goes (it recurses once per level and stops near 1,000)"
_DECODER = json.JSONDecoder()
_WS = " \t\n\r"


@dataclass
class Record:
    value: Any
    line: int  # 1-based line in the file where the record starts
    ordinal: int  # 1-based position among the file's records


def json_records(text: str, name: str, first_line: int = 1) -> list[Record]:
    """The records of a JSON document (see module doc), in file order."""
    try:
        return _json_records(text, name, first_line)
    except RecursionError:
        raise _too_deep(text, name, first_line) from None


def _json_records(text: str, name: str, first_line: int) -> list[Record]:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(f"invalid JSON: {exc.msg}", f"{name}:{exc.lineno + first_line - 1}:{exc.colno}") from exc
    start = _skip_ws(text, 0)
    located = _records_at(text, start)
    if located is None:
        raise IngestError("expected a list of records, or an object with the list under "
                          + "/".join(f"'{k}'" for k in LIST_KEYS), name)
    records, line, last = [], first_line, 0
    for i, (value, pos) in enumerate(located):  # offsets only grow, so count newlines incrementally
        line += text.count("\n", last, pos)
        last = pos
        records.append(Record(value, line, i + 1))
    return records


def jsonl_records(text: str, name: str, first_line: int = 1, max_line_chars: int | None = None) -> list[Record]:
    """One record per line; a line longer than `max_line_chars` is refused before it is parsed."""
    records = []
    for n, line in enumerate(text.split("\n"), start=first_line):
        if not line.strip():
            continue
        if max_line_chars is not None and len(line) > max_line_chars:
            raise IngestError(f"the line holds {len(line) / 2**20:,.1f} MB of text, over the [ingest].max_text_mb limit "
                              f"of {max_line_chars / 2**20:,.1f} MB; split the record or raise the limit", f"{name}:{n}")
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(f"invalid JSON on this line: {exc.msg}", f"{name}:{n}:{exc.colno}") from exc
        except RecursionError:
            raise IngestError(f"the record is {TOO_DEEP}", f"{name}:{n}") from None
        if isinstance(value, dict) and value and all(str(k).startswith("_") for k in value):
            continue
        records.append(Record(value, n, len(records) + 1))
    return records


def csv_records(text: str, name: str, first_line: int = 1) -> list[Record]:
    """Rows of a CSV (or, with tabs in the header, TSV) file as dicts keyed by the header."""
    sample = text.lstrip("\n").split("\n", 1)[0]
    dialect = "excel-tab" if "\t" in sample and "," not in sample else "excel"
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    records = []
    try:
        for row in reader:
            if None in row:
                raise IngestError(f"the row has more fields than the header ({len(reader.fieldnames or [])})",
                                  f"{name}:{reader.line_num + first_line - 1}")
            if not any((v or "").strip() for v in row.values()):
                continue
            records.append(Record({k.strip(): (v or "").strip() for k, v in row.items() if k},
                                  reader.line_num + first_line - 1, len(records) + 1))
    except csv.Error as exc:
        # The csv module counts a line once it is wholly read; the error is in the line it was reading.
        line = reader.line_num + first_line
        if "field limit" in str(exc):
            raise IngestError(f"a field is longer than {csv.field_size_limit():,} characters, the most the CSV "
                              "reader takes (a quote left open makes the rest of the file one field)",
                              f"{name}:{line}") from exc
        raise IngestError(f"invalid CSV: {exc}", f"{name}:{line}") from exc
    if not reader.fieldnames:
        raise IngestError("the CSV file has no header line", name)
    return records


def record_keys(records: list[Record], sample: int = 20) -> set[str]:
    """Keys seen in the first records that are dicts (used to tell glossaries, exams and QA files apart)."""
    keys: set[str] = set()
    for r in records[:sample]:
        if isinstance(r.value, dict):
            keys.update(str(k) for k in r.value)
    return keys


def _records_at(text: str, pos: int) -> list[tuple[Any, int]] | None:
    if text[pos] == "[":
        return _flatten(text, pos)
    if text[pos] != "{":
        return None
    members = _object_members(text, pos)
    for key in LIST_KEYS:
        if key in members and text[members[key]] == "[":
            return _flatten(text, members[key])
    whole, _ = _DECODER.raw_decode(text, pos)
    return [(whole, pos)]  # a single record as the whole document


def _flatten(text: str, pos: int) -> list[tuple[Any, int]]:
    out = []
    for item_pos in _array_items(text, pos):
        if text[item_pos] == "[":
            out.extend(_flatten(text, item_pos))
        else:
            out.append((_DECODER.raw_decode(text, item_pos)[0], item_pos))
    return out


def _array_items(text: str, pos: int) -> list[int]:
    """Start offsets of the elements of the (valid) JSON array at pos."""
    starts, pos = [], _skip_ws(text, pos + 1)
    while text[pos] != "]":
        starts.append(pos)
        _, end = _DECODER.raw_decode(text, pos)
        pos = _skip_ws(text, end)
        if text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
    return starts


def _object_members(text: str, pos: int) -> dict[str, int]:
    """Offsets of the values of the (valid) JSON object at pos, by key."""
    members, pos = {}, _skip_ws(text, pos + 1)
    while text[pos] != "}":
        key, end = _DECODER.raw_decode(text, pos)
        pos = _skip_ws(text, _skip_ws(text, end) + 1)  # past the colon
        members[key] = pos
        _, end = _DECODER.raw_decode(text, pos)
        pos = _skip_ws(text, end)
        if text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
    return members


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _too_deep(text: str, name: str, first_line: int) -> IngestError:
    """An error naming the line where the data is nested deepest (strings skipped)."""
    depth, deepest, deepest_line, in_string, escaped, line = 0, 0, first_line, False, False, first_line
    for ch in text:
        if ch == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest, deepest_line = depth, line
        elif ch in "]}":
            depth -= 1
    return IngestError(f"the data is {deepest:,} levels deep there, {TOO_DEEP}", f"{name}:{deepest_line}")
