"""`curator version stats ID`: token lengths of questions, answers and formatted examples, and a max_length.

With --tokenizer (a local tokenizer folder) lengths are exact, and a tokenizer
that has a chat template formats each example as a user/assistant conversation.
Without one, lengths are an approximation, labelled as such: characters / 4 for
Latin text and / 1.5 for Hangul, the estimate chunking uses. The suggested
max_length is the 99th percentile of formatted examples rounded up to a multiple
of 64, so about one example in a hundred would be truncated.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from curator.errors import CuratorError
from curator.versions.export import parse_template, render_prompt
from curator.versions.identity import leaked_test_pairs
from curator.versions.verify import open_version
from curator.workspace import Workspace

APPROXIMATION = "approximate: characters / 4, Hangul syllables / 1.5 (pass --tokenizer for exact counts)"
_HANGUL = r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]"
_ROUND_TO = 64
_BATCH = 10_000
FIELDS = ("question", "answer", "example")


def approximate_tokens(texts: pl.Series) -> np.ndarray:
    hangul = texts.str.count_matches(_HANGUL).fill_null(0).to_numpy()
    other = texts.str.len_chars().fill_null(0).to_numpy() - hangul
    return np.ceil(hangul / 1.5 + other / 4).astype(np.int64)


def _load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    if not path.is_dir():
        raise CuratorError(f"--tokenizer {path} is not a folder; give a local tokenizer folder (tokenizer.json, "
                           "tokenizer_config.json), as saved by save_pretrained.")
    try:
        return AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise CuratorError(f"cannot load a tokenizer from {path}: {exc}") from exc


def _token_counts(tokenizer, texts: list[str]) -> np.ndarray:
    counts: list[int] = []
    for lo in range(0, len(texts), _BATCH):
        ids = tokenizer(texts[lo:lo + _BATCH], add_special_tokens=True)["input_ids"]
        counts += [len(x) for x in ids]
    return np.asarray(counts, dtype=np.int64)


def _example_counts(tokenizer, prompts: list[str], answers: list[str]) -> np.ndarray:
    if getattr(tokenizer, "chat_template", None):
        return np.asarray([len(tokenizer.apply_chat_template(
            [{"role": "user", "content": p}, {"role": "assistant", "content": a}], tokenize=True))
            for p, a in zip(prompts, answers)], dtype=np.int64)
    return _token_counts(tokenizer, [f"{p}\n\n{a}" for p, a in zip(prompts, answers)])


def _summary(counts: np.ndarray) -> dict[str, Any]:
    if counts.size == 0:
        return {"count": 0}
    p = np.percentile(counts, [50, 90, 95, 99])
    return {"count": int(counts.size), "mean": round(float(counts.mean()), 1), "min": int(counts.min()),
            "p50": round(float(p[0]), 1), "p90": round(float(p[1]), 1), "p95": round(float(p[2]), 1),
            "p99": round(float(p[3]), 1),
            "max": int(counts.max())}


def suggest_max_length(example_counts: np.ndarray) -> int:
    p99 = float(np.percentile(example_counts, 99)) if example_counts.size else 0.0
    return max(_ROUND_TO, int(math.ceil(p99 / _ROUND_TO) * _ROUND_TO))


def _plot(lengths: dict[str, np.ndarray], max_length: int, title: str, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(lengths), figsize=(5 * len(lengths), 3.6), constrained_layout=True)
    for ax, (name, counts) in zip(axes, lengths.items()):
        ax.hist(counts, bins=min(60, max(5, int(np.sqrt(counts.size)))), color="#4477aa")
        ax.set_title(f"{name} tokens")
        ax.set_xlabel("tokens")
        ax.set_ylabel("pairs")
        if name == "example":
            ax.axvline(max_length, color="#cc3311", linestyle="--", label=f"max_length {max_length}")
            ax.legend()
    fig.suptitle(title, fontsize=9)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)


def version_stats(ws: Workspace, ref: str, *, tokenizer: Path | None = None, sample: int = 0,
                  template: str | None = None, png: Path | None = None, seed: int = 0) -> dict[str, Any]:
    """Length statistics of a version (all rows, or an even random sample of `sample` rows)."""
    version = open_version(ws, ref)
    frame = version.read(["question", "answer", "evidence", "language", "origin", "source_uri", "document_uri",
                          "chunk_id", "document_id", "source_id", "lineage_id", "split"])
    # Over every row, before any sampling: a leak is a property of the whole split.
    split = {"group_by": version.manifest["split"].get("group_by", "pair"),
             "leaked_test_pairs": {level: leaked_test_pairs(frame, level) for level in ("item", "document", "source")}}
    if sample and frame.height > sample:
        frame = frame.sample(n=sample, seed=seed)
    parts = parse_template(template or "{question}")
    if any(name == "context" for _, name in parts):
        frame = frame.join(version.contexts(), on="chunk_id", how="left")
    else:
        frame = frame.with_columns(context=pl.lit(None, dtype=pl.String))
    frame = frame.with_columns(prompt=render_prompt(parts))
    if tokenizer is None:
        method = APPROXIMATION
        lengths = {"question": approximate_tokens(frame["question"]), "answer": approximate_tokens(frame["answer"]),
                   "example": approximate_tokens(frame.select(pl.concat_str(["prompt", "answer"], separator="\n\n"))
                                                  .to_series())}
    else:
        tok = _load_tokenizer(Path(tokenizer))
        method = f"tokenizer {tokenizer}"
        lengths = {"question": _token_counts(tok, frame["question"].to_list()),
                   "answer": _token_counts(tok, frame["answer"].to_list()),
                   "example": _example_counts(tok, frame["prompt"].to_list(), frame["answer"].to_list())}
    max_length = suggest_max_length(lengths["example"])
    truncated = int((lengths["example"] > max_length).sum())
    png = Path(png) if png is not None else ws.path("exports") / version.id / "length_stats.png"
    _plot(lengths, max_length, f"version {version.id} ({method})", png)
    return {"version": version.id, "method": method, "rows": frame.height,
            "sampled": bool(sample and version.manifest["counts"]["total"] > sample),
            "lengths": {name: _summary(counts) for name, counts in lengths.items()},
            "suggested_max_length": max_length, "truncated_at_suggestion": truncated, "png": str(png),
            "split": split, "preferences": preference_counts(version.manifest)}


def preference_counts(manifest: dict[str, Any]) -> dict[str, Any]:
    """The version's preference records and unpaired negatives, by split (zeros for a version without any)."""
    found = manifest.get("preferences") or {}
    zero = {"train": 0, "test": 0}
    return {"pairs": found.get("pairs", 0), "negatives": found.get("negatives", 0),
            "pairs_by_split": found.get("pairs_by_split", zero), "negatives_by_split": found.get("negatives_by_split", zero),
            "pairs_by_kind": found.get("pairs_by_kind", {})}
