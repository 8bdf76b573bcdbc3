"""Transcripts: SubRip (.srt), WebVTT (.vtt) and plain or timestamped text (.txt).

Cues are merged into readable text: a cue that continues the same turn joins
the previous one with a space (sentences often run across cues), and a cue
that opens with a speaker label starts a new paragraph with the label
written out. Every cue keeps its character span in that text, its times and
its speaker, so any sentence of the merged text can be traced to the second.
Broken timings fail the file with their line number: a guessed time would
send a reviewer to the wrong place in the recording.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from curator.ingest.errors import IngestError
from curator.ingest.language import detect_language
from curator.ingest.load_result import LoadedDocument, LoadResult
from curator.ingest.textfile import TextFile

_SRT_TIME = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})$")
_VTT_TIME = re.compile(r"^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})$")
_TIMING = re.compile(r"^\s*(\S+)\s*-->\s*(\S+)(?:\s+.*)?$")
_LINE_STAMP = re.compile(r"^\s*[\[(]?((?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)[\])]?\s+(?:-\s+)?(\S.*)$")
_LABEL = re.compile(r"^\s*(?:-\s*|>>\s*)?([^\W\d][^\s:：,.!?()]{0,19}(?: [^\s:：,.!?()]{1,20}){0,2})\s*[:：]\s+(?=\S)")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>")
# A line-stamped .txt is recognised when most of its lines carry a time.
_MIN_STAMPED_SHARE = 0.5


@dataclass
class RawCue:
    start: float
    end: float
    text: str
    line: int
    speaker: str | None = None  # explicit (WebVTT voice tag); labels in the text are found later


def load_transcript(tf: TextFile, fmt: str) -> LoadResult:
    """A transcript file as one document; `fmt` is srt, vtt or txt."""
    name = str(tf.path)
    if fmt == "srt":
        raw = parse_srt(tf.text, name, tf.first_line)
    elif fmt == "vtt":
        raw = parse_vtt(tf.text, name, tf.first_line)
    else:
        raw = parse_stamped_lines(tf.text, name, tf.first_line)
    meta = {"encoding": tf.encoding, "format": fmt}
    if tf.header:
        meta["header_comment"] = tf.header
    if raw is None:  # plain prose without timestamps
        content = tf.text.strip()
        doc = LoadedDocument(uri=name, kind="transcript", content=content, title=_text_title(content, tf),
                             language=detect_language(content), meta={**meta, "timestamps": False})
        return LoadResult(doc_kind="transcript", format=fmt, documents=[doc])
    if not raw:
        raise IngestError("no cues with text were found", name)
    content, cues = merge_cues(raw)
    speakers = sorted({c["speaker"] for c in cues if c["speaker"]})
    meta.update({"timestamps": True, "cues": len(cues), "duration_s": round(max(c.end for c in raw), 3),
                 "speakers": speakers})
    doc = LoadedDocument(uri=name, kind="transcript", content=content, title=tf.path.stem,
                         language=detect_language(content), meta=meta, cues=cues)
    return LoadResult(doc_kind="transcript", format=fmt, documents=[doc])


def parse_srt(text: str, name: str, first_line: int = 1) -> list[RawCue]:
    cues = []
    for line_no, lines in _blocks(text, first_line):
        i = 0
        if lines[0].strip().isdigit():
            i = 1
            if len(lines) < 2:
                raise IngestError(f"cue {lines[0].strip()} has no timing line", f"{name}:{line_no}")
        timing = _TIMING.match(lines[i])
        if not timing:
            raise IngestError(f"expected a timing line 'HH:MM:SS,mmm --> HH:MM:SS,mmm', found {lines[i]!r}",
                              f"{name}:{line_no + i}")
        start, end = (_time(t, _SRT_TIME, name, line_no + i) for t in timing.groups())
        _check_order(start, end, name, line_no + i)
        body = " ".join(s.strip() for s in lines[i + 1:] if s.strip())
        body = _TAG.sub("", body).strip()  # SRT allows <i>, <b>, <font>
        if body:
            cues.append(RawCue(start, end, html.unescape(body), line_no))
    return cues


def parse_vtt(text: str, name: str, first_line: int = 1) -> list[RawCue]:
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise IngestError("not a WebVTT file: the first line must be 'WEBVTT'", f"{name}:{first_line}")
    cues = []
    blocks = _blocks(text, first_line)
    for line_no, lines in blocks[1:]:
        if lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        i = 0 if "-->" in lines[0] else 1
        timing = _TIMING.match(lines[i]) if i < len(lines) else None
        if not timing:
            raise IngestError("expected a timing line 'HH:MM:SS.mmm --> HH:MM:SS.mmm'", f"{name}:{line_no + i}")
        start, end = (_time(t, _VTT_TIME, name, line_no + i) for t in timing.groups())
        _check_order(start, end, name, line_no + i)
        body = " ".join(s.strip() for s in lines[i + 1:] if s.strip())
        voice = _VOICE.search(body)
        body = html.unescape(_TAG.sub("", body)).strip()
        if body:
            cues.append(RawCue(start, end, body, line_no, voice.group(1).strip() if voice else None))
    return cues


def parse_stamped_lines(text: str, name: str, first_line: int = 1) -> list[RawCue] | None:
    """Cues from lines like `[00:01:23] Speaker: text`; None when the text is not line-stamped.

    A line's cue ends where the next begins; the last one is given a length
    from its text at about 15 characters a second.
    """
    lines = text.split("\n")
    filled = [ln for ln in lines if ln.strip()]
    stamped = sum(1 for ln in filled if _LINE_STAMP.match(ln))
    if stamped < 3 or stamped / len(filled) < _MIN_STAMPED_SHARE:
        return None
    cues: list[RawCue] = []
    for n, line in enumerate(lines, start=first_line):
        m = _LINE_STAMP.match(line)
        if m:
            start = _loose_time(m.group(1), name, n)
            if cues and start < cues[-1].start:
                raise IngestError(f"time {m.group(1)} is earlier than the line before it", f"{name}:{n}")
            cues.append(RawCue(start, start, m.group(2).strip(), n))
        elif line.strip() and cues:
            cues[-1].text += " " + line.strip()
    for cue, nxt in pairwise(cues):
        cue.end = nxt.start
    cues[-1].end = cues[-1].start + max(1.0, len(cues[-1].text) / 15)
    return cues


def merge_cues(raw: list[RawCue]) -> tuple[str, list[dict]]:
    """Readable text from cues, and each cue's span, times and speaker within it."""
    labels = Counter(m.group(1) for c in raw if (m := _LABEL.match(c.text)))
    # Labels count as speakers once the file shows it uses them (some label repeats):
    # in a transcript without speakers, one "Note:" is a word, not a speaker.
    known = set(labels) if any(n >= 2 for n in labels.values()) else set()
    parts: list[str] = []
    pos, speaker, cues = 0, None, []
    for c in raw:
        body, label = c.text, c.speaker
        m = _LABEL.match(body)
        if m and m.group(1) in known:
            label, body = m.group(1), body[m.end():]
        if label:
            speaker = label
            lead = ("\n\n" if parts else "") + f"{label}: "
        else:
            lead = " " if parts else ""
        parts.append(lead)
        pos += len(lead)
        parts.append(body)
        cues.append({"char_start": pos, "char_end": pos + len(body), "time_start": c.start,
                     "time_end": c.end, "speaker": speaker})
        pos += len(body)
    return "".join(parts), cues


def _blocks(text: str, first_line: int) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks with the file line number of their first line."""
    blocks, current, start = [], [], 0
    for n, line in enumerate(text.split("\n"), start=first_line):
        line = line.rstrip("\r")
        if line.strip():
            if not current:
                start = n
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _time(stamp: str, pattern: re.Pattern, name: str, line: int) -> float:
    m = pattern.match(stamp)
    if not m:
        raise IngestError(f"cannot read the timestamp {stamp!r}", f"{name}:{line}")
    h, mi, s, ms = m.groups()
    if int(mi) > 59 or int(s) > 59:
        raise IngestError(f"timestamp {stamp!r} has minutes or seconds above 59", f"{name}:{line}")
    return int(h or 0) * 3600 + int(mi) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def _loose_time(stamp: str, name: str, line: int) -> float:
    parts = stamp.replace(",", ".").split(":")
    try:
        secs = float(parts[-1])
        mins = int(parts[-2])
        hours = int(parts[-3]) if len(parts) == 3 else 0
    except ValueError as exc:
        raise IngestError(f"cannot read the timestamp {stamp!r}", f"{name}:{line}") from exc
    if mins > 59 or secs >= 60:
        raise IngestError(f"timestamp {stamp!r} has minutes or seconds above 59", f"{name}:{line}")
    return hours * 3600 + mins * 60 + secs


def _check_order(start: float, end: float, name: str, line: int) -> None:
    if end < start:
        raise IngestError("the cue ends before it starts", f"{name}:{line}")


def _text_title(content: str, tf: TextFile) -> str:
    first = content.split("\n", 1)[0].strip()
    return first if 0 < len(first) <= 120 and not first.endswith((".", "?", "!", "다.")) else tf.path.stem
