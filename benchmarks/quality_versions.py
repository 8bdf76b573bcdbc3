"""Real public datasets for the fine-tuning quality benchmark, made into curator versions the way a user would.

Each source is a Debian package nobody here wrote (download and unpack them with
`apt-get download dict-foldoc dict-jargon bsdgames wordnet-base && for f in *.deb; do dpkg -x $f x; done`):

| name     | package        | kind                                | licence                      |
|----------|----------------|-------------------------------------|------------------------------|
| foldoc   | dict-foldoc    | computing glossary (dictd)          | GNU FDL                      |
| jargon   | dict-jargon    | hacker slang glossary (dictd)       | public domain                |
| quiz     | bsdgames       | quiz tables (capitals, elements...) | BSD                          |
| wordnet  | wordnet-base   | English dictionary glosses (nouns)  | WordNet 3.0 licence (BSD-like) |

Glossaries go in as glossary files (two pairs per entry: term to definition and
definition to term); quiz rows go in as chat records (every column a row answers
is one exchange, so one row gives several pairs). Then `version create` with the
default leak-free split (by source item). Usage:

    python benchmarks/quality_versions.py x/usr/share OUT [--only foldoc,quiz] [--wordnet-entries 12000]

prints one JSON line per dataset: its version folder, pair and split counts.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
MAX_ANSWER = 300


def _number(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 64 + B64.index(ch)
    return value


def _first_sentences(text: str, limit: int = MAX_ANSWER) -> str:
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text)
    answer = sentences[0]
    for sentence in sentences[1:]:
        if len(answer) + len(sentence) + 1 > limit:
            break
        answer += " " + sentence
    if len(answer) > limit + 100:
        answer = answer[:limit + 100].rsplit(" ", 1)[0] + "..."
    return answer


def _dictd_entries(folder: Path, name: str) -> list[tuple[str, str]]:
    """(headword, entry text) of a dictd database, in file order, first headword of each entry."""
    with gzip.open(folder / f"{name}.dict.dz") as fh:
        data = fh.read()
    spans: dict[tuple[int, int], str] = {}
    for line in (folder / f"{name}.index").read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            spans.setdefault((_number(parts[1]), _number(parts[2])), parts[0])
    return [(head, data[o:o + n].decode("utf-8", "replace")) for (o, n), head in sorted(spans.items())
            if not head.startswith("00-")]


def _clean(paragraph: str) -> str:
    text = re.sub(r"\{([^}]*)\}", r"\1", paragraph)
    text = re.sub(r"\[[^\]]*\]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def foldoc(share: Path) -> list[dict]:
    sys.path.insert(0, str(Path(__file__).parent))
    from foldoc_version import read_glossary  # the cleaning the earlier FOLDOC figures used

    return [{"term": t, "definition": d} for t, d in read_glossary(share / "dictd")]


def jargon(share: Path) -> list[dict]:
    out, seen = [], set()
    for head, entry in _dictd_entries(share / "dictd", "jargon"):
        paragraphs = [p for p in re.split(r"\n\s*\n", entry) if p.strip()]
        body = [p for p in paragraphs[1:] if not re.match(r"^\s*/[^/]*/", p.strip()) or len(p) > 80]
        if not body:
            continue
        text = _clean(body[0])
        text = re.sub(r"^/[^/]{1,40}/\s*,?\s*(\w+\.\s*)*", "", text).strip()  # pronunciation, part of speech
        if len(text) < 25 or text.lower().startswith("see "):
            continue
        term = entry.strip().split("\n", 1)[0].strip()
        if term.lower() in seen:
            continue
        seen.add(term.lower())
        out.append({"term": term, "definition": _first_sentences(text)})
    return out


def wordnet(share: Path, limit: int) -> list[dict]:
    """The first (most frequent) sense of each noun with a gloss, up to `limit` entries."""
    out, seen = [], set()
    for line in (share / "wordnet" / "data.noun").read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("  ") or "|" not in line:
            continue
        fields, gloss = line.split("|", 1)
        parts = fields.split()
        count = int(parts[3], 16)
        words = [parts[4 + 2 * i].replace("_", " ") for i in range(count)]
        word = re.sub(r"\(.*\)$", "", words[0])
        definition = gloss.split(";")[0].strip()
        if word.lower() in seen or len(definition) < 12 or not word.isascii():
            continue
        seen.add(word.lower())
        out.append({"term": word, "definition": definition[0].upper() + definition[1:] + "."})
    step = max(1, len(out) // limit)  # spread over the whole file rather than its first letters
    return out[::step][:limit]


def _expand(field: str) -> str:
    """A quiz answer as text: optional {parts} kept, the first of [a|b] alternatives and of a top-level a|b."""
    depth, top = 0, []
    for i, ch in enumerate(field):
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "|" and depth == 0:
            top.append(i)
    if top:
        field = field[:top[0]]
    while True:
        new = re.sub(r"\[([^\[\]|]*)(\|[^\[\]]*)?\]", r"\1", field)
        new = re.sub(r"\{([^{}]*)\}", r"\1", new)
        if new == field:
            break
        field = new
    return re.sub(r"\s+", " ", field.replace("\\", "")).strip()


# Quiz files whose columns make clear questions: (file, [(from column, to column, question template)]).
QUIZ = {
    "africa": [(0, 1, "What is the capital of {0}?"), (1, 0, "{1} is the capital of which African country?")],
    "america": [(0, 1, "What is the capital of {0}?"), (1, 0, "{1} is the capital of which country in the Americas?")],
    "asia": [(0, 1, "What is the capital of {0}?"), (1, 0, "{1} is the capital of which Asian country?")],
    "europe": [(0, 1, "What is the capital of {0}?"), (1, 0, "{1} is the capital of which European country?")],
    "state": [(0, 1, "What is the capital of the US state of {0}?"), (0, 2, "What is the postal abbreviation of {0}?"),
              (0, 3, "What is the state flower of {0}?")],
    "province": [(0, 1, "What is the capital of the Canadian province {0}?")],
    "elements": [(0, 3, "Which chemical element has the symbol {0}?"), (3, 1, "What is the atomic number of {3}?"),
                 (3, 0, "What is the chemical symbol of {3}?")],
    "pres": [(0, 1, "When was {0} President of the United States?"), (0, 2, "Who was vice president under {0}?"),
             (0, 3, "Who succeeded {0} as President of the United States?")],
    "collectives": [(0, 1, "What is the collective noun for a group of {0}?")],
    "babies": [(0, 1, "What is a baby {0} grown up called?"), (1, 0, "What is a young {1} called?")],
    "sexes": [(0, 1, "What is the female counterpart of a {0}?")],
    "latin": [(0, 1, "What does the Latin phrase \"{0}\" mean in English?")],
    "greek": [(0, 1, "What does the Greek word \"{0}\" mean in English?")],
    "flowers": [(0, 1, "In the language of flowers, what does {0} mean?")],
    "murders": [(0, 1, "Who killed {0}?")],
    "sov": [(0, 1, "In which century did {0} reign?"), (0, 2, "Who succeeded {0} on the throne?")],
    "inca": [(0, 1, "Who succeeded the Inca ruler {0}?")],
    "midearth": [(0, 1, "In Middle-earth, what is the capital of {0}?")],
    "ed": [(0, 1, "Which ed command does this: {0}?")],
}


def quiz(share: Path) -> list[dict]:
    folder = share / "games" / "bsdgames" / "quiz"
    records = []
    for name, questions in QUIZ.items():
        text = (folder / name).read_text(encoding="latin-1").replace("\\\n", "")
        for line in text.splitlines():
            columns = [_expand(c) for c in re.split(r"(?<!\\):", line)]
            messages = []
            for src, dst, template in questions:
                if max(src, dst) < len(columns) and columns[src] and columns[dst]:
                    messages += [{"role": "user", "content": template.format(*columns)},
                                 {"role": "assistant", "content": columns[dst]}]
            if messages:
                records.append({"messages": messages})
    return records


def build(share: Path, out: Path, only: list[str], wordnet_entries: int) -> list[dict]:
    from curator.ingest.add import add_paths
    from curator.versions import create_version
    from curator.workspace import init_workspace

    makers = {"foldoc": lambda: foldoc(share), "jargon": lambda: jargon(share), "quiz": lambda: quiz(share),
              "wordnet": lambda: wordnet(share, wordnet_entries)}
    results = []
    for name in only:
        records = makers[name]()
        ws = init_workspace(out / name)
        data = ws.root / f"{name}.jsonl"
        data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        conn = ws.connect()
        try:
            add_paths(conn, [data], kind="qa" if name == "quiz" else "glossary", config=ws.config)
        finally:
            conn.close()
        version = create_version(ws, message=f"{name} quality benchmark", include_pending=True)
        split = version.manifest["counts"]["by_split"]
        results.append({"dataset": name, "records": len(records), "version": str(version.path),
                        "pairs": version.pair_count, "train": split["train"], "test": split["test"],
                        "leaked_test_pairs": version.manifest["counts"]["leaked_test_pairs"]})
        print(json.dumps(results[-1]), flush=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("share", type=Path, help="the unpacked packages' usr/share folder")
    parser.add_argument("out", type=Path, help="a folder for one workspace per dataset")
    parser.add_argument("--only", default="foldoc,jargon,quiz,wordnet")
    parser.add_argument("--wordnet-entries", type=int, default=12_000)
    args = parser.parse_args()
    build(args.share, args.out, args.only.split(","), args.wordnet_entries)
