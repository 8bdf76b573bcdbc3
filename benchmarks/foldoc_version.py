"""Build a version directory from a real glossary for the quality benchmark: FOLDOC, as Debian ships it.

FOLDOC (the Free On-line Dictionary of Computing, GNU FDL) is packaged as
`dict-foldoc` (dictd format). Here:  apt-get download dict-foldoc && dpkg -x dict-foldoc_*.deb x
    python benchmarks/foldoc_version.py x/usr/share/dictd OUT_DIR
Each headword becomes "What is TERM?" with the first paragraph of its definition
(cross-reference braces, citations and dates removed, cut at a sentence end near
300 characters) as the answer. The split follows curator's rule (blake2b of the
lineage id and the seed, test_size 0.1), and the folder has the versions layout
the trainer reads (data.parquet with a split column, manifest.json).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
SEED, TEST_SIZE = 123, 0.1


def _number(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 64 + B64.index(ch)
    return value


def _definition(entry: str) -> tuple[str | None, str | None]:
    lines = entry.split("\n")
    heads = []
    while lines and lines[0].strip() and not lines[0].startswith(" "):
        heads.append(lines.pop(0).strip())
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", "\n".join(lines)) if p.strip()]
    if not heads or not paragraphs:
        return None, None
    text = paragraphs[0]
    for pattern in (r"^<[^>]*>\s*", r"^\(Or [^)]*\)\s*", r"^(/[^/]{1,40}/\s*,?\s*)+", r"^1\.\s*", r"^<[^>]*>\s*"):
        text = re.sub(pattern, "", text)
    text = re.sub(r"\{([^}]*)\}", r"\1", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) < 25 or text.lower().startswith("see ") or re.fullmatch(r"\(\d{4}-\d\d-\d\d\)", text):
        return heads[0], None
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text)
    answer = sentences[0]
    for sentence in sentences[1:]:
        if len(answer) + len(sentence) + 1 > 300:
            break
        answer += " " + sentence
    if len(answer) > 400:
        answer = answer[:400].rsplit(" ", 1)[0] + "..."
    return heads[0], answer


def read_glossary(folder: Path) -> list[tuple[str, str]]:
    with gzip.open(folder / "foldoc.dict.dz") as fh:
        data = fh.read()
    spans = {}
    for line in (folder / "foldoc.index").read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.rstrip("\n").split("\t")
        spans.setdefault((_number(parts[1]), _number(parts[2])), parts[0])
    pairs, seen = [], set()
    for offset, length in sorted(spans):
        term, answer = _definition(data[offset:offset + length].decode("utf-8", "replace"))
        if term and answer and term.lower() not in seen and not term.startswith("00-"):
            seen.add(term.lower())
            pairs.append((term, answer))
    return pairs


def write(pairs: list[tuple[str, str]], out: Path) -> Path:
    rows = []
    for number, (term, answer) in enumerate(pairs, start=1):
        lineage = hashlib.blake2b(term.encode(), digest_size=8).hexdigest()
        position = int.from_bytes(hashlib.blake2b(f"{SEED}\x1f{lineage}".encode(), digest_size=8).digest(), "big")
        rows.append({"pair_id": number, "lineage_id": lineage, "revision": 1, "question": f"What is {term}?",
                     "answer": answer, "evidence": answer, "origin": "glossary", "language": "en", "held_out": 0,
                     "split": "test" if position / 2**64 < TEST_SIZE else "train", "status": "accepted",
                     "source_uri": "dict-foldoc", "flags": None})
    digest = hashlib.sha256("\n".join(f"{r['lineage_id']}\x1f{r['question']}\x1f{r['answer']}\x1f{r['split']}"
                                      for r in rows).encode()).hexdigest()[:16]
    folder = out / digest
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "data.parquet")
    split = {"train": sum(r["split"] == "train" for r in rows), "test": sum(r["split"] == "test" for r in rows)}
    (folder / "manifest.json").write_text(json.dumps({
        "id": digest, "parent": None, "message": "FOLDOC glossary (dict-foldoc), quality benchmark",
        "created_at": "2026-11-23T00:00:00+00:00", "curator_version": "0.1.0",
        "counts": {"total": len(rows), "by_split": split, "by_origin": {"glossary": len(rows)}},
        "split": {"seed": SEED, "test_size": TEST_SIZE}, "files": []}, indent=2) + "\n", encoding="utf-8")
    return folder


if __name__ == "__main__":
    folder = write(read_glossary(Path(sys.argv[1])), Path(sys.argv[2]))
    print(folder)
