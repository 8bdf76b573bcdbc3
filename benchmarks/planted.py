"""A deterministic bilingual QA set with planted duplicates, and how well a dedup found them.

`planted_set(n, seed)` gives n question/answer records (about 60% Korean, 40%
English) built from trade and supply-chain templates. Most are distinct questions;
some are planted twins of another record:

- exact: the same question after normalization (case, spacing runs, full-width
  characters, zero-width spaces), same answer;
- near: one or two small edits (a typo, two words swapped, a space added or
  removed, a Korean particle changed, an English article changed), same answer;
- conflict: the same question (exact or near) with a different answer.

Distinct questions include hard negatives: siblings from the same template that
differ in one slot, and planted siblings that differ only in one number. Truth is
the `group` (same question) and `answer_group` of each record.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass

import numpy as np

from benchmarks import planted_vocab as V

_PARTICLE = re.compile(r"(.)⟨(을|은|이|과|으로)⟩")
_PAIRS = {"을": ("을", "를"), "은": ("은", "는"), "이": ("이", "가"), "과": ("과", "와"), "으로": ("으로", "로")}
_KO_SWAPS = (("을 ", "를 "), ("를 ", "을 "), ("은 ", "는 "), ("는 ", "은 "), ("이 ", "가 "), ("가 ", "이 "),
             ("에서 ", "에 "), ("으로 ", "로 "), ("로 ", "으로 "), ("의 ", " "))


@dataclass(frozen=True)
class PlantedRecord:
    question: str
    answer: str
    group: int          # records sharing a group ask the same question
    answer_group: int   # records of one group with different answer_groups conflict
    kind: str           # base | exact | near | conflict | number_sibling
    language: str


def _josa(match: re.Match) -> str:
    prev, particle = match.group(1), match.group(2)
    code = ord(prev) - 0xAC00
    has_final = 0 <= code < 11172 and code % 28 != 0
    if particle == "으로":
        has_final = has_final and code % 28 != 8  # after ㄹ it is 로
    return prev + _PAIRS[particle][0 if has_final else 1]


def _fill(rng: random.Random, lang: str, slots: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    templates = V.KO_TEMPLATES if lang == "ko" else V.EN_TEMPLATES
    t = rng.randrange(len(templates))
    ko = lang == "ko"
    s = dict(slots or {})
    s.setdefault("term", rng.choice(V.KO_TERMS if ko else V.EN_TERMS))
    s.setdefault("product", rng.choice(V.KO_PRODUCTS if ko else V.EN_PRODUCTS))
    s.setdefault("country", rng.choice(V.KO_COUNTRIES if ko else V.EN_COUNTRIES))
    s.setdefault("country2", rng.choice(V.KO_COUNTRIES if ko else V.EN_COUNTRIES))
    s.setdefault("port", rng.choice(V.KO_PORTS if ko else V.EN_PORTS))
    s.setdefault("doc", rng.choice(V.KO_DOCS if ko else V.EN_DOCS))
    s.setdefault("party", rng.choice(V.KO_PARTIES if ko else V.EN_PARTIES))
    s.setdefault("n", str(rng.randrange(2, 500)))
    s.setdefault("m", str(rng.randrange(1, 40)))
    s.setdefault("year", str(rng.randrange(2005, 2026)))
    s.setdefault("role", rng.choice(V.KO_ROLES if ko else V.EN_ROLES))
    s.setdefault("situation", rng.choice(V.KO_SITUATIONS if ko else V.EN_SITUATIONS))
    s.setdefault("request", rng.choice(V.KO_REQUESTS if ko else V.EN_REQUESTS))
    s.setdefault("sign_off", rng.choice(V.KO_SIGN_OFFS if ko else V.EN_SIGN_OFFS))
    return t, s


def _other_slots(rng: random.Random, lang: str, s: dict[str, str]) -> dict[str, str]:
    """The same slots with the answer-side ones changed, for a conflicting answer."""
    ko = lang == "ko"
    return {**s, "n": str(int(s["n"]) + 7), "m": str(int(s["m"]) + 3),
            "party": rng.choice(V.KO_PARTIES if ko else V.EN_PARTIES),
            "doc": rng.choice(V.KO_DOCS if ko else V.EN_DOCS),
            "port": rng.choice(V.KO_PORTS if ko else V.EN_PORTS)}


def _render(lang: str, t: int, s: dict[str, str]) -> tuple[str, str]:
    q, a = (V.KO_TEMPLATES if lang == "ko" else V.EN_TEMPLATES)[t]
    marks = {"eul": "⟨을⟩", "eun": "⟨은⟩", "i": "⟨이⟩", "gwa": "⟨과⟩", "ro": "⟨으로⟩"}
    q, a = q.format(**s, **marks), a.format(**s, **marks)
    if lang == "en" and not q[1:2].isupper():
        q = q[0].lower() + q[1:]
    role = s["role"] + " " if s["role"] else ""
    q = f"{role}{s['situation']} {q} {s['request']}{s['sign_off']}"
    return _PARTICLE.sub(_josa, q), _PARTICLE.sub(_josa, a)


def _question_key(lang: str, t: int, s: dict[str, str]) -> str:
    """What makes a question distinct: who asks and a closing courtesy do not (they are twins' noise)."""
    return " ".join(_render(lang, t, {**s, "role": "", "sign_off": ""})[0].casefold().split())


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if len(w) >= 3 and w[1:-1].isalpha()]
    if not spots:
        return text + " "
    i = rng.choice(spots)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    c = w[j]
    if "\uac00" <= c <= "\ud7a3":  # a Hangul syllable with another vowel: a slip of one key
        code = ord(c) - 0xAC00
        vowel = (code // 28) % 21
        c2 = chr(ord(c) + (28 if vowel < 20 else -28))
        words[i] = w[:j] + c2 + w[j + 1:]
    else:
        how = rng.randrange(3)
        if how == 0:
            words[i] = w[:j] + w[j + 1:]
        elif how == 1:
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:] if j + 2 < len(w) else w[:j] + w[j + 1:]
        else:
            words[i] = w[:j] + w[j] + w[j:]
    return " ".join(words)


def _reorder(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    if len(words) < 3:
        return _typo(rng, text)
    i = rng.randrange(len(words) - 2)  # keep the final word (with its question mark) in place
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def _spacing(rng: random.Random, text: str) -> str:
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if spaces and rng.random() < 0.6:
        i = rng.choice(spaces)
        return text[:i] + text[i + 1:]
    long_words = [m.start() + 2 for m in re.finditer(r"[^\W\d_]{4,}", text)]
    if not long_words:
        return _typo(rng, text)
    i = rng.choice(long_words)
    return text[:i] + " " + text[i:]


def _particle(rng: random.Random, text: str, lang: str) -> str:
    if lang == "en":
        for a, b in ((" the ", " a "), (" a ", " the "), (" an ", " the ")):
            if a in text:
                return text.replace(a, b, 1)
        return _typo(rng, text)
    options = [(a, b) for a, b in _KO_SWAPS if a in text]
    if not options:
        return _typo(rng, text)
    a, b = rng.choice(options)
    return text.replace(a, b, 1)


def _near(rng: random.Random, text: str, lang: str) -> str:
    edits = 2 if rng.random() < 0.25 else 1
    for _ in range(edits):
        how = rng.randrange(4)
        text = (_typo(rng, text) if how == 0 else _reorder(rng, text) if how == 1
                else _spacing(rng, text) if how == 2 else _particle(rng, text, lang))
    return text


def _cosmetic(rng: random.Random, text: str) -> str:
    """A copy that normalization makes identical: case, doubled spaces, full-width forms, a zero-width space."""
    how = rng.randrange(4)
    if how == 0:
        return text.upper() if text.isascii() else "  " + text + " "
    if how == 1:
        return text.replace(" ", "  ", 1) + "\u200b"
    if how == 2:
        return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789?"})
    return " " + text.replace(" ", "\t", 1)


def _generate(n: int, rng: random.Random):
    """(question, answer, group, answer_group, kind, language) rows in generation order (twins follow their base)."""
    seen: set[int] = set()
    count = group = 0
    while count < n:
        lang = "ko" if rng.random() < 0.6 else "en"
        t, s = _fill(rng, lang)
        q, a = _render(lang, t, s)
        key = _digest(_question_key(lang, t, s))
        if key in seen:
            continue
        seen.add(key)
        group += 1
        rows = [(q, a, group, 0, "base", lang)]
        roll = rng.random()
        if roll < 0.06:
            rows += [(_cosmetic(rng, q), a, group, 0, "exact", lang) for _ in range(rng.choice((1, 1, 2)))]
        elif roll < 0.18:
            rows += [(_near(rng, q, lang), a, group, 0, "near", lang) for _ in range(rng.choice((1, 1, 2)))]
        elif roll < 0.21:
            other_answer = _render(lang, t, _other_slots(rng, lang, s))[1]
            if other_answer == a:
                other_answer = a + (" 단, 예외가 있습니다." if lang == "ko" else " There are exceptions.")
            twin = q if rng.random() < 0.5 else _near(rng, q, lang)
            rows.append((twin, other_answer, group, 1, "conflict", lang))
        elif roll < 0.25 and re.search(r"\d", q):
            number = s["n"] if s["n"] in q else s["m"] if s["m"] in q else s["year"]
            bumped = {**s, "n": str(int(s["n"]) + 1)} if number == s["n"] else \
                {**s, "m": str(int(s["m"]) + 1)} if number == s["m"] else {**s, "year": str(int(s["year"]) - 1)}
            q2, a2 = _render(lang, t, bumped)
            k2 = _digest(_question_key(lang, t, bumped))
            if k2 not in seen:
                seen.add(k2)
                group += 1
                rows.append((q2, a2, group, 0, "number_sibling", lang))
        for row in rows[:n - count]:
            count += 1
            yield row


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass
class PlantedColumns:
    """The same set as `planted_set`, column by column (what a benchmark of a million pairs can afford)."""

    questions: list[str]
    answers: list[str]
    group: np.ndarray
    answer_group: np.ndarray
    kind: np.ndarray
    language: np.ndarray


def planted_columns(n: int, seed: int = 7) -> PlantedColumns:
    """n records in a fixed shuffled order; the same (n, seed) always gives the same records."""
    rng = random.Random(seed)
    q, a, g, ag, kind, lang = [], [], [], [], [], []
    for row in _generate(n, rng):
        for column, value in zip((q, a, g, ag, kind, lang), row):
            column.append(value)
    order = list(range(len(q)))
    rng.shuffle(order)
    pick = np.asarray(order, dtype=np.int64)
    return PlantedColumns([q[i] for i in order], [a[i] for i in order], np.asarray(g, np.int64)[pick],
                          np.asarray(ag, np.int64)[pick], np.asarray(kind, dtype=object)[pick],
                          np.asarray(lang, dtype=object)[pick])


def planted_set(n: int, seed: int = 7) -> list[PlantedRecord]:
    """The same records as `planted_columns`, one object each."""
    c = planted_columns(n, seed)
    return [PlantedRecord(q, a, int(g), int(ag), k, lang) for q, a, g, ag, k, lang in
            zip(c.questions, c.answers, c.group, c.answer_group, c.kind, c.language)]


def pairwise_scores(truth_groups: np.ndarray, predicted_clusters: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 over the pairs of records put together (same cluster) versus truly together.

    Both arrays give one label per record; a record alone in its label is a cluster of one.
    """
    def together(labels: np.ndarray) -> int:
        ordered = np.sort(labels)
        counts = np.diff(np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1], [True]))))
        return int((counts * (counts - 1) // 2).sum())

    joint = truth_groups.astype(np.int64) * (int(predicted_clusters.max(initial=0)) + 1) + predicted_clusters
    tp = together(joint)
    predicted, actual = together(predicted_clusters), together(truth_groups)
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_pairs": actual, "predicted_pairs": predicted}
