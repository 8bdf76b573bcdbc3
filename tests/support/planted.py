"""The bilingual QA set with planted duplicates, and how well a dedup found them (see benchmarks/planted.py)."""

from benchmarks.planted import pairwise_scores, planted_columns, planted_set

__all__ = ["pairwise_scores", "planted_columns", "planted_set"]
