"""The real-data dedup benchmark: planted edits of each kind, a real thesaurus, and a clear message without the data."""

from __future__ import annotations

import random

import pytest

import benchmarks.dedup_real as real
from curator.errors import CuratorError

SENTENCE = "On Linux systems, a Python installation will typically be included as part of the distribution."


@pytest.mark.parametrize("kind", real.KINDS)
def test_every_kind_of_edit_changes_the_sentence_as_named(kind):
    thesaurus = {"installation": ["facility"], "systems": ["arrangements"], "distribution": ["dispersion"],
                 "included": ["admitted"], "part": ["portion"]}
    edited = real.plant(SENTENCE, kind, thesaurus, random.Random(3))
    assert edited is not None
    if kind == "exact":
        assert edited == SENTENCE
        return
    assert edited != SENTENCE
    words, new = SENTENCE.split(), edited.split()
    if kind == "swapped_words":
        assert sorted(words) == sorted(new)
    elif kind == "dropped_word":
        assert len(new) == len(words) - 1
    elif kind == "reordered_clause":
        assert edited.startswith("A Python installation") and edited.endswith("on Linux systems.")
    elif kind == "synonym":
        changed = [(a, b) for a, b in zip(words, new) if a != b]
        assert len(changed) == 1 and thesaurus[changed[0][0]] == [changed[0][1]]
    elif kind == "typo":
        assert len(new) == len(words) and sum(a != b for a, b in zip(words, new)) == 1


def test_without_the_debian_packages_the_benchmark_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(real, "DOCS", tmp_path / "missing")
    with pytest.raises(CuratorError, match="apt-get install python3.11-doc dict-vera dict-foldoc wordnet-base"):
        real.doc_sentences(10)


@pytest.mark.skipif(not (real.WORDNET / "index.noun").exists(), reason="needs the Debian package wordnet-base")
def test_synonyms_come_from_wordnet():
    synonyms = real.wordnet_synonyms()
    assert synonyms["currently"] == ["presently"] and "often" in synonyms["frequently"]
    assert "car" not in synonyms  # several senses: a synonym of one of them would change the meaning
