"""How often a chunk starts in the middle of a sentence, on real documentation and on the sample transcripts.

Material: the Python documentation as Sphinx HTML from Debian's `python3.11-doc`
package (`apt-get install python3.11-doc`; /usr/share/doc/python3.11/html,
about 530 pages; licence PSF-2.0), read as `curator add` reads an .html file
(trafilatura to markdown, then the chunk planner), and the transcripts of
corpora/sample read by the transcript loader. Nothing is downloaded; a missing
docs folder is reported in the JSON (`docs_pages: 0`, `docs_missing`).

**Starts mid-sentence** is decided from the document text alone, not from the
sentence splitter, so a splitter cannot grade itself: a chunk (not the first of
its document) starts mid-sentence when

1. no blank line separates it from the text before it (a paragraph break is a
   sentence boundary), and
2. the text before it does not end a sentence: its last non-blank character,
   after any closing quotes, brackets or Markdown emphasis marks, is not one of
   `. ! ? 。 ？ ！ …`, and its last line is not a block's end (a closing code
   fence, a table row, a heading), and
3. the chunk does not open a block (a heading, list item, table row, quote or
   code fence), and
4. its first character is not an upper-case letter (a lower-case letter, and
   also a character of a script without case, such as Hangul, a digit or a
   backquote, counts).

A chunk that starts between two lines of a fenced code block (a code block
longer than a chunk has to be cut somewhere; code has no sentences) is counted
apart, as `starts_inside_code`, not as mid-sentence.

`curator bench chunks --json` prints `chunks`, `non_first_chunks`,
`mid_sentence_starts`, `mid_sentence_rate` for the documentation pages, the
same under `index_pages` for the generated index pages (`genindex-*.html`,
`py-modindex.html`: lists of entry names, one a line, most of them starting in
lower case, which no sentence rule fits: they are counted apart, not hidden)
and under `transcripts` for the sample transcripts, with a few example starts.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from curator.ingest.chunking import plan_text_chunks, plan_transcript_chunks
from curator.ingest.html import NoMainContent, html_to_markdown
from curator.ingest.loaders import load_file

DOCS_DIR = Path("/usr/share/doc/python3.11/html")
SAMPLE_TRANSCRIPTS = Path(__file__).resolve().parent.parent / "corpora" / "sample" / "transcripts"
_SENTENCE_END = ".!?。？！…"
_CLOSERS = "\"'”’)]」』*_`"
_BLOCK_OPENER = re.compile(r"(?:#{1,6}\s|[-*+•]\s|\d{1,9}[.)]\s|\||>|```|~~~)")
_BLOCK_END_LINE = re.compile(r"^(?:\s*(?:```|~~~)\S*|\s*\|.*\||\s{0,3}#{1,6}\s.*)$")


def inside_code(text: str, start: int) -> bool:
    """Whether `start` lies inside a fenced code block: an odd number of fence marks before it."""
    return text.count("```", 0, start) % 2 == 1


def starts_mid_sentence(text: str, start: int) -> bool:
    """Whether a chunk starting at `start` of `text` starts in the middle of a sentence (see the module doc)."""
    if start <= 0:
        return False
    before = text[:start]
    stripped = before.rstrip()
    if not stripped:
        return False
    gap = before[len(stripped):]
    if gap.count("\n") >= 2:
        return False
    last = stripped.rstrip(_CLOSERS) or stripped
    if last[-1] in _SENTENCE_END:
        return False
    last_line = stripped[stripped.rfind("\n") + 1:]
    if _BLOCK_END_LINE.match(last_line):
        return False
    rest = text[start:].lstrip()
    if not rest or _BLOCK_OPENER.match(rest):
        return False
    return not rest[0].isupper()


def measure(documents: list[tuple[str, str, list[tuple[int, int]]]], examples: int = 8) -> dict[str, Any]:
    """Counts over (name, text, chunk spans) triples."""
    chunks = non_first = mid = in_code = 0
    shown: list[dict[str, str]] = []
    for name, text, spans in documents:
        chunks += len(spans)
        for start, _ in spans[1:]:
            non_first += 1
            if inside_code(text, start):
                in_code += 1
            elif starts_mid_sentence(text, start):
                mid += 1
                if len(shown) < examples:
                    shown.append({"document": name, "before": text[max(0, start - 60):start],
                                  "start": text[start:start + 80]})
    return {"documents": len(documents), "chunks": chunks, "non_first_chunks": non_first,
            "mid_sentence_starts": mid, "mid_sentence_rate": round(mid / non_first, 4) if non_first else 0.0,
            "starts_inside_code": in_code, "examples": shown}


def _is_index_page(name: str) -> bool:
    return Path(name).name.startswith(("genindex", "py-modindex"))


def docs_documents(docs_dir: Path, target_tokens: int, overlap_tokens: int,
                   limit: int | None = None) -> tuple[list[tuple[str, str, list[tuple[int, int]]]], int]:
    pages = sorted(p for p in docs_dir.rglob("*.html") if "_static" not in p.parts)[:limit]
    found = []
    planning = 0.0
    for page in pages:
        try:
            text = html_to_markdown(page.read_text(encoding="utf-8", errors="replace"), str(page)).markdown
        except NoMainContent:
            continue
        started = time.process_time()
        plans = plan_text_chunks(text, target_tokens, overlap_tokens)
        planning += time.process_time() - started
        found.append((str(page.relative_to(docs_dir)), text, [(p.start, p.end) for p in plans]))
    PLANNING_CPU_S[0] = planning
    return found, len(pages)


PLANNING_CPU_S = [0.0]  # CPU seconds spent planning chunks in the last docs_documents call


def transcript_documents(folder: Path, target_tokens: int,
                         window_s: float) -> list[tuple[str, str, list[tuple[int, int]]]]:
    found = []
    for path in sorted(folder.iterdir()):
        result = load_file(path, path.read_bytes(), "transcript", {})
        for doc in result.documents:
            if doc.cues:
                plans = plan_transcript_chunks(doc.content, doc.cues, window_s, target_tokens)
            else:
                plans = plan_text_chunks(doc.content, target_tokens, 40)
            found.append((path.name, doc.content, [(p.start, p.end) for p in plans]))
    return found


def run_chunks_bench(docs_dir: Path = DOCS_DIR, target_tokens: int = 400, overlap_tokens: int = 40,
                     transcript_target_tokens: int = 120, window_s: float = 30.0,
                     limit: int | None = None) -> dict[str, Any]:
    """The JSON document of `curator bench chunks`.

    The transcripts are chunked smaller than the default (120 tokens, 30 s
    windows) so the short sample transcripts give enough chunk starts to count.
    """
    started = time.perf_counter()
    result: dict[str, Any] = {"docs_dir": str(docs_dir), "target_tokens": target_tokens,
                              "overlap_tokens": overlap_tokens}
    if docs_dir.is_dir():
        documents, pages = docs_documents(docs_dir, target_tokens, overlap_tokens, limit)
        index = [d for d in documents if _is_index_page(d[0])]
        result.update({"docs_pages": pages, **measure([d for d in documents if not _is_index_page(d[0])]),
                       "index_pages": measure(index),
                       "plan_ms_per_page": round(1000 * PLANNING_CPU_S[0] / max(1, len(documents)), 3),
                       "chars_per_page": round(sum(len(d[1]) for d in documents) / max(1, len(documents)))})
    else:
        result.update({"docs_pages": 0, "docs_missing": f"{docs_dir} not found: apt-get install python3.11-doc",
                       **measure([]), "index_pages": measure([])})
    result["transcripts"] = {"target_tokens": transcript_target_tokens, "window_s": window_s,
                             **measure(transcript_documents(SAMPLE_TRANSCRIPTS, transcript_target_tokens, window_s))}
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run_chunks_bench(limit=int(sys.argv[1]) if len(sys.argv) > 1 else None), ensure_ascii=False,
                     indent=2))
