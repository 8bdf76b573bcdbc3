"""The [filters] settings as typed values (curator.toml documents each key)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class FilterSettings:
    # duplicates: MinHash LSH candidates, rapidfuzz scores recorded from `fuzzy_floor`, decided at `fuzzy_cutoff`
    ngram: int = 2
    minhash_permutations: int = 64
    near_duplicate_threshold: float = 0.75
    lsh_window: int = 2
    min_shared_bands: int = 2
    fuzzy_scorer: str = "best"
    fuzzy_cutoff: float = 90.0
    fuzzy_floor: float = 85.0
    changed_word_cutoff: float = 90.0
    answer_agree_cutoff: float = 80.0
    # semantic duplicates (sentence embeddings)
    semantic: bool = True
    semantic_model: str = ""
    semantic_threshold: float = 0.8
    semantic_floor: float = 0.75
    semantic_answer_threshold: float = 0.8  # no longer used: a semantic duplicate needs the same answer
    semantic_runtime: str = "onnx-int8"
    semantic_batch_size: int = 16
    semantic_max_tokens: int = 64
    semantic_neighbours: int = 8
    semantic_candidate_floor: float = 0.75
    semantic_max_new: int = 50_000
    # rules
    min_question_chars: int = 5
    max_question_chars: int = 1000
    min_answer_chars: int = 1
    max_answer_chars: int = 4000
    max_answer_repetition: float = 0.5
    placeholder_answers: tuple[str, ...] = ()
    not_self_contained_phrases: tuple[str, ...] = ()
    boilerplate_phrases: tuple[str, ...] = ()
    personal_data: bool = True
    # moderation (OpenAI endpoints only) and the LLM judge
    moderation_model: str = "omni-moderation-latest"
    moderation_batch_size: int = 32
    moderation_threshold: float = 0.5
    judge: bool = False
    judge_min_quality: int = 6
    # contamination: held-out pairs, plus the test split of this version ("latest", an id, or "" for none)
    contamination_version: str = "latest"
    threads: int = 2

    @classmethod
    def from_config(cls, filters: dict[str, Any]) -> FilterSettings:
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in filters.items() if k in known}
        return cls(**values)

    @property
    def recording_floor(self) -> float:
        """Similarities at or above this are stored, so the cutoff can move down to here without a re-run."""
        return min(self.fuzzy_floor, self.fuzzy_cutoff)

    @property
    def semantic_recording_floor(self) -> float:
        return min(self.semantic_floor, self.semantic_threshold)
