"""`curator bench dedup --real`: dedup scored on real public text that nobody on this project wrote.

Sources, read from Debian packages installed on the machine (nothing is committed,
nothing downloaded at run time):

- prose: sentences of the Python 3.11 documentation sources
  (`python3.11-doc`, /usr/share/doc/python3.11-doc/html/_sources; PSF licence),
  about 7,800 at the margin, then those of indented entries (functions, classes),
  then sentences of FOLDOC's definitions; each sentence is a
  question, the sentence after it its answer;
- glossaries: V.E.R.A. (`dict-vera`, computer acronyms, GFDL 1.1+) and FOLDOC
  (`dict-foldoc`, the Free On-line Dictionary of Computing, GFDL 1.1+);
- synonyms: WordNet 3.0 (`wordnet-base`, the WordNet licence), for words with a
  single sense: the synonym edits are taken from a real thesaurus, not from curator's
  detector.

Near duplicates are planted into the prose with eight kinds of edit: typo (in a
lower-case dictionary word), punctuation/case, swapped neighbouring words, a dropped
word, reordered clauses, a WordNet synonym, two edits, and exact copies. Each planted
copy keeps its answer. Precision and recall are pairwise over the clusters (every
member counts, conflicts included: a distinct pair put in a conflict is a false
positive). `recall_by_kind` is the share of planted copies found in their original's
cluster. The glossary part takes entries whose terms differ by one letter or one word
(VERA acronyms, FOLDOC headwords) and asks each as a question; any two of them put in
one cluster is a false positive (`false_positive_rate_distinct`).
"""

from __future__ import annotations

import gzip
import random
import re
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curator.errors import CuratorError

DOCS = Path("/usr/share/doc/python3.11-doc/html/_sources")
DICTD = Path("/usr/share/dictd")
WORDNET = Path("/usr/share/wordnet")
INSTALL = ("apt-get install python3.11-doc dict-vera dict-foldoc wordnet-base  "
           "(Debian/Ubuntu packages: the benchmark builds its set from their files)")
KINDS = ("typo", "punctuation_case", "swapped_words", "dropped_word", "reordered_clause", "synonym", "two_edits",
         "exact")
_DICTD_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_ROLE = re.compile(r":[a-z:]+:`~?!?([^`<]*?)(?:\s*<[^>]*>)?`")
_MARKUP = re.compile(r"``|\*\*|`_?|\*")
_SENTENCE = re.compile(r"(?<=[.?!])\s+(?=[A-Z])")
_WORD = re.compile(r"[a-z]+")
_STOP = frozenset("the a an of to in on for and or is are be by with as at it this that from was were not can "
                  "will which its has have if then than but so do does".split())


@dataclass
class RealSet:
    questions: list[str]
    answers: list[str]
    group: np.ndarray   # records of one group are the same question
    kind: np.ndarray    # base | one of KINDS


def _require(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CuratorError(f"the real-data benchmark needs {', '.join(missing)}; install with: {INSTALL}")


def _clean(line: str) -> str:
    line = _ROLE.sub(r"\1", line)
    line = _MARKUP.sub("", line)
    return " ".join(line.split())


def doc_sentences(limit: int) -> list[tuple[str, str]]:
    """(sentence, next sentence) from the Python documentation sources, distinct, prose only."""
    _require(DOCS)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for path in sorted(DOCS.rglob("*.rst.txt")):
        paragraph: list[str] = []
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines() + [""]:
            stripped = raw.strip()
            if stripped and not raw.startswith((" ", "\t", "..", ":", "=", "-", "*", "+", "#", "|", ">")):
                paragraph.append(stripped)
                continue
            text = _clean(" ".join(paragraph))
            paragraph = []
            sentences = [s for s in _SENTENCE.split(text) if s]
            for a, b in zip(sentences, sentences[1:]):
                key = a.casefold()
                if 40 <= len(a) <= 180 and len(a.split()) >= 7 and key not in seen and 10 <= len(b) <= 300:
                    seen.add(key)
                    out.append((a, b))
    random.Random(17).shuffle(out)
    if len(out) < limit:  # about 7,800 such sentences at the margin; then the indented ones (API entries)
        out.extend(_indented_doc_sentences(seen, limit - len(out)))
    if len(out) < limit:  # and then FOLDOC's definitions
        out.extend(_foldoc_sentences(seen, limit - len(out)))
    return out[:limit]


def _indented_doc_sentences(seen: set[str], limit: int) -> list[tuple[str, str]]:
    """Sentences of the indented paragraphs (function and class entries), code blocks left out."""
    out: list[tuple[str, str]] = []
    for path in sorted(DOCS.rglob("*.rst.txt")):
        paragraph: list[str] = []
        code = False
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines() + [""]:
            stripped = raw.strip()
            if stripped and raw[:1] in " \t" and not code and not stripped.startswith(("..", ":", ">>>", "|")):
                paragraph.append(stripped)
                continue
            if paragraph:
                text = _clean(" ".join(paragraph))
                sentences = [x for x in _SENTENCE.split(text) if x]
                for a, b in zip(sentences, sentences[1:]):
                    key = a.casefold()
                    if 40 <= len(a) <= 180 and len(a.split()) >= 7 and key not in seen and 10 <= len(b) <= 300:
                        seen.add(key)
                        out.append((a, b))
                paragraph = []
            if stripped:
                code = stripped.endswith("::") or (code and raw[:1] in " \t")
            elif not stripped:
                pass
    random.Random(19).shuffle(out)
    return out[:limit]


def _foldoc_sentences(seen: set[str], limit: int) -> list[tuple[str, str]]:
    """(sentence, next sentence) from FOLDOC's definitions, distinct from those already taken."""
    out: list[tuple[str, str]] = []
    for _term, definition in _dictd("foldoc"):
        text = " ".join(re.sub(r"[{}]", "", definition).split())
        sentences = [x for x in _SENTENCE.split(text) if x]
        for a, b in zip(sentences, sentences[1:]):
            key = a.casefold()
            if 30 <= len(a) <= 180 and len(a.split()) >= 5 and key not in seen and 10 <= len(b) <= 300:
                seen.add(key)
                out.append((a, b))
    random.Random(18).shuffle(out)
    return out[:limit]


def _dictd(name: str) -> list[tuple[str, str]]:
    """(headword, definition) of a dictd dictionary installed by a Debian dict-* package."""
    index, data = DICTD / f"{name}.index", DICTD / f"{name}.dict.dz"
    _require(index, data)
    text = gzip.decompress(data.read_bytes())

    def number(code: str) -> int:
        n = 0
        for ch in code:
            n = n * 64 + _DICTD_DIGITS.index(ch)
        return n

    out = []
    for line in index.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[0].startswith("00database"):
            continue
        start, size = number(parts[1]), number(parts[2])
        body = text[start:start + size].decode("utf-8", errors="replace").splitlines()
        definition = " ".join(" ".join(x.split()) for x in body[1:] if x.strip())
        if definition:
            out.append((body[0].strip() if body else parts[0], definition))
    return out


def wordnet_synonyms() -> dict[str, list[str]]:
    """word -> single-word synonyms, for words with one sense in all of WordNet 3.0 (so a synonym means the same).

    A word with several senses ("even", "same", "program") would get the synonyms of
    whichever sense comes first ("eventide", "lapplander", "plan"), which change the
    sentence's meaning: such an edit is no longer a duplicate, so those words are left out.
    """
    _require(WORDNET / "index.noun")
    synsets: dict[tuple[str, str], list[str]] = {}
    for pos in ("noun", "verb", "adj", "adv"):
        for line in (WORDNET / f"data.{pos}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            f = line.split()
            n = int(f[3], 16)
            words = [f[4 + 2 * k].split("(")[0].lower() for k in range(n)]
            synsets[(pos, f[0])] = words
    senses: dict[str, list[tuple[str, str]]] = {}
    for pos in ("noun", "verb", "adj", "adv"):
        for line in (WORDNET / f"index.{pos}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            f = line.split()
            lemma, synset_count = f[0], int(f[2])
            senses.setdefault(lemma, []).extend((pos, off) for off in f[-synset_count:])
    out: dict[str, list[str]] = {}
    for lemma, found in senses.items():
        if len(found) != 1 or not lemma.isalpha():
            continue
        others = [w for w in synsets.get(found[0], []) if w != lemma and "_" not in w and w.isalpha()]
        if others:
            out[lemma] = others
    return out


_NEAR_KEYS = {c: n for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm") for c, n in zip(row, row[1:] + row[-2])}


def _typo(words: list[str], rng: random.Random) -> list[str] | None:
    spots = [k for k, w in enumerate(words) if k and len(w) >= 5 and w.isalpha() and w.islower()]
    if not spots:
        return None
    k = rng.choice(spots)
    w = words[k]
    i = rng.randrange(1, len(w) - 1)
    how = rng.randrange(4)
    if how == 0:
        w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
    elif how == 1:
        w = w[:i] + w[i + 1:]
    elif how == 2:
        w = w[:i] + _NEAR_KEYS.get(w[i], w[i]) + w[i + 1:]
    else:
        w = w[:i] + w[i] + w[i:]
    return [*words[:k], w, *words[k + 1:]]


def _punctuation_case(text: str, rng: random.Random) -> str:
    options = [text.rstrip(".!?"), text.replace(",", ""), text.upper(), text[:1].lower() + text[1:] + " ."]
    choice = rng.choice(options)
    return choice if choice != text else text.rstrip(".") + "!"


def _swapped(words: list[str], rng: random.Random) -> list[str] | None:
    spots = [k for k in range(1, len(words) - 1) if words[k].isalpha() and words[k + 1].isalpha()]
    if not spots:
        return None
    k = rng.choice(spots)
    return [*words[:k], words[k + 1], words[k], *words[k + 2:]]


# dropping one of these turns a sentence into its opposite: not a near duplicate
_NEGATING = frozenset(("not", "no", "never", "nor", "cannot"))


def _dropped(words: list[str], rng: random.Random) -> list[str] | None:
    spots = [k for k in range(1, len(words)) if words[k].isalpha() and words[k].islower()
             and words[k] not in _NEGATING]
    if len(words) < 7 or not spots:
        return None
    k = rng.choice(spots)
    return [*words[:k], *words[k + 1:]]


def _reordered(text: str) -> str | None:
    body = text.rstrip(".")
    parts = [p.strip() for p in body.split(",")]
    if len(parts) != 2 or min(len(p.split()) for p in parts) < 3:
        return None
    first, second = parts
    return f"{second[:1].upper()}{second[1:]}, {first[:1].lower()}{first[1:]}."


def _synonym(words: list[str], thesaurus: dict[str, list[str]], rng: random.Random) -> list[str] | None:
    # inflected forms ("using", "ways") are WordNet lemmas of other words ("exploitation", "shipway"): skipped
    spots = [k for k, w in enumerate(words) if w.isalpha() and w.islower() and w not in _STOP and len(w) >= 4
             and w in thesaurus and not w.endswith(("s", "ed", "ing"))]
    if not spots:
        return None
    k = rng.choice(spots)
    return [*words[:k], rng.choice(thesaurus[words[k]]), *words[k + 1:]]


def plant(text: str, kind: str, thesaurus: dict[str, list[str]], rng: random.Random) -> str | None:
    """`text` with one planted edit of `kind`, or None when this text has no place for it."""
    words = text.split()
    if kind == "exact":
        return text
    if kind == "typo":
        out = _typo(words, rng)
    elif kind == "punctuation_case":
        return _punctuation_case(text, rng)
    elif kind == "swapped_words":
        out = _swapped(words, rng)
    elif kind == "dropped_word":
        out = _dropped(words, rng)
    elif kind == "reordered_clause":
        return _reordered(text)
    elif kind == "synonym":
        out = _synonym(words, thesaurus, rng)
    else:  # two edits: a typo and a punctuation or case change
        out = _typo(words, rng)
        return None if out is None else _punctuation_case(" ".join(out), rng)
    return None if out is None else " ".join(out)


def build_set(pairs: int, per_kind: int, seed: int = 17) -> RealSet:
    """About `pairs` records: real sentences, with `per_kind` planted copies of each kind."""
    rng = random.Random(seed)
    thesaurus = wordnet_synonyms()
    base = doc_sentences(pairs)
    n_base = max(pairs - per_kind * len(KINDS), 1)
    base = base[:n_base]
    questions = [q for q, _ in base]
    answers = [a for _, a in base]
    group = list(range(len(base)))
    kind = ["base"] * len(base)
    order = list(range(len(base)))
    rng.shuffle(order)
    cursor = 0
    for k in KINDS:
        made = 0
        while made < per_kind and cursor < len(order):
            b = order[cursor]
            cursor += 1
            edited = plant(questions[b], k, thesaurus, rng)
            if edited is None or (k != "exact" and edited == questions[b]):
                continue
            questions.append(edited)
            answers.append(answers[b])
            group.append(b)
            kind.append(k)
            made += 1
    return RealSet(questions, answers, np.asarray(group), np.asarray(kind))


def similar_glossary_entries(limit: int = 4000) -> tuple[list[str], list[str], list[tuple[int, int]]]:
    """Questions from VERA and FOLDOC entries whose terms differ by one letter or one word, and those pairs."""
    from rapidfuzz.distance import Levenshtein

    entries: list[tuple[str, str, str]] = []
    for term, definition in _dictd("vera"):
        if 2 <= len(term) <= 12:
            entries.append((term, f"What does {term} stand for?", definition))
    for term, definition in _dictd("foldoc"):
        if 3 <= len(term) <= 40:
            entries.append((term, f"What is {term} in computing?", definition[:300]))
    by_term: dict[str, int] = {}
    for k, (term, _, _) in enumerate(entries):
        by_term.setdefault(term.casefold(), k)
    terms = list(by_term)
    similar: list[tuple[str, str]] = []
    by_shape: dict[tuple[int, str], list[str]] = {}
    for t in terms:  # one letter apart: bucket by a deleted letter (a standard trick for edit distance 1)
        for i in range(len(t)):
            by_shape.setdefault((i, t[:i] + t[i + 1:]), []).append(t)
    for bucket in by_shape.values():
        for a, b in zip(bucket, bucket[1:]):
            similar.append((a, b))
    words: dict[tuple[str, ...], list[str]] = {}
    for t in terms:  # one word apart in multi-word terms
        w = t.split()
        if len(w) >= 2:
            for i in range(len(w)):
                words.setdefault(tuple(w[:i] + ["*"] + w[i + 1:]), []).append(t)
    for bucket in words.values():
        for a, b in zip(bucket, bucket[1:]):
            similar.append((a, b))
    similar = sorted({(min(a, b), max(a, b)) for a, b in similar if a != b and Levenshtein.distance(a, b) > 0})
    random.Random(17).shuffle(similar)
    similar = similar[:limit]
    chosen = sorted({by_term[t] for pair in similar for t in pair})
    where = {k: n for n, k in enumerate(chosen)}
    questions = [entries[k][1] for k in chosen]
    answers = [entries[k][2] for k in chosen]
    return questions, answers, [(where[by_term[a]], where[by_term[b]]) for a, b in similar]


def _load() -> float:
    import os
    return round(os.getloadavg()[0], 2)


def _labels(questions: list[str], answers: list[str], settings, embed) -> tuple[np.ndarray, Any]:
    from curator.filters.clusters import KeeperInputs
    from curator.filters.dedup import find_duplicates

    n = len(questions)
    inputs = KeeperInputs(np.zeros(n, bool), np.zeros(n, bool), np.full(n, np.nan), np.full(n, np.nan),
                          np.arange(n))
    result = find_duplicates(questions, answers, inputs, settings, embed=embed)
    c = result.clusters
    labels = np.arange(n, dtype=np.int64) + c.count
    together = (c.kind == "keeper") | (c.score >= settings.fuzzy_cutoff) | (c.kind == "semantic_duplicate")
    labels[c.member[together]] = c.cluster[together]
    return labels, result


def _embedding_cache(path: Path):
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    import curator.store

    sql = (Path(curator.store.__file__).parent / "migrations" / "0010_embeddings.sql").read_text()
    conn.executescript(sql.replace("CREATE TABLE embeddings", "CREATE TABLE IF NOT EXISTS embeddings"))
    return conn


def run_real_benchmark(pairs: int = 50_000, per_kind: int = 400, semantic: bool = True,
                       reuse_embeddings: Path | None = None, glossary_pairs: int = 4000,
                       **overrides: Any) -> dict[str, Any]:
    """Build the set, run curator's dedup (semantic on), and score it. Times exclude building the set.

    `reuse_embeddings`: a SQLite file caching the vectors between benchmark runs (for tuning limits;
    the throughput of such a run says nothing about embedding: `embedded_now` tells how many were).
    """
    from benchmarks.planted import pairwise_scores
    from curator.filters.settings import FilterSettings

    load_before = _load()
    data = build_set(pairs, per_kind)
    g_questions, g_answers, similar = similar_glossary_entries(glossary_pairs)
    settings = FilterSettings(**{"semantic": semantic, **overrides})  # overrides: [filters] keys to try
    embed = None
    embed_seconds = [0.0]
    embedded_now = [0]
    if semantic:
        from curator.filters.semantic import cached_encoder, load_embedder
        load = time.perf_counter()
        model = load_embedder(settings)
        load_seconds = time.perf_counter() - load
        cached = cached_encoder(_embedding_cache(reuse_embeddings), model) if reuse_embeddings else None

        def embed(texts: list[str]) -> np.ndarray:
            mark = time.perf_counter()
            if cached is not None:
                out, fresh = cached(texts)
            else:
                out, fresh = model.encode(texts), len(texts)
            embedded_now[0] += fresh
            embed_seconds[0] += time.perf_counter() - mark
            return out
    cpu = time.process_time()
    start = time.perf_counter()
    labels, result = _labels(data.questions, data.answers, settings, embed)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu
    scores = pairwise_scores(data.group, labels)
    planted = data.kind != "base"
    found = labels[planted] == labels[data.group[planted]]
    by_kind = {k: round(float(found[data.kind[planted] == k].mean()), 4) for k in KINDS
               if (data.kind[planted] == k).any()}
    counts = {k: int((data.kind == k).sum()) for k in KINDS}
    g_labels, _ = _labels(g_questions, g_answers, settings, embed)
    merged = [(a, b) for a, b in similar if g_labels[a] == g_labels[b]]
    n = len(data.questions)
    return {
        "pairs": n,
        "sources": {"prose": "python3.11-doc sources (PSF licence)", "glossary": "dict-vera, dict-foldoc (GFDL)",
                    "synonyms": "wordnet-base (WordNet 3.0 licence)"},
        "planted_by_kind": counts,
        "precision": round(scores["precision"], 4),
        "recall": round(scores["recall"], 4),
        "f1": round(scores["f1"], 4),
        "recall_by_kind": by_kind,
        "recall_min_kind": min(by_kind.values()) if by_kind else None,
        "distinct_similar_pairs": len(similar),
        "false_positive_rate_distinct": round(len(merged) / max(len(similar), 1), 5),
        "false_positive_examples": [(g_questions[a], g_questions[b]) for a, b in merged[:5]],
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "semantic": semantic,
        "settings": {"semantic_threshold": settings.semantic_threshold, "fuzzy_cutoff": settings.fuzzy_cutoff,
                     "semantic_runtime": settings.semantic_runtime,
                     **overrides},
        "embed_seconds": round(embed_seconds[0], 2),
        "embedded_now": embedded_now[0],
        "model_load_seconds": round(load_seconds, 2) if semantic else None,
        "load_average_before_after": [load_before, _load()],
        "semantic_pairs_per_s": round(n / seconds, 1) if semantic else None,
        "timings": {k: round(v, 2) for k, v in result.timings.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
