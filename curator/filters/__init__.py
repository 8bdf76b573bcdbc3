"""Filters: flag duplicates, rule violations, moderation hits, judge verdicts and contamination; never delete.

To explain a flag, read: `registry` (the filters and what each owns), `curator.store.flags`
(the one table of flag kinds), `decide` (when a measurement fails), and for duplicates
`dedup` (the pipeline) with `subjects` and `guard`/`similarity` (which changed words are
variants), `clusters` (keepers and member kinds) and `semantic` (embeddings, neighbours).

Every filter stores what it measured (`filter_scores`); whether a pair fails is
derived from those measurements and the [filters] limits (`decide`), so a moved
limit re-decides without recomputing. Entry points: `run.run_filters` (the
`curator filter` command), `decisions.failing_pairs` and `decisions.redecide`,
`explain.explain_pair`, `keeper.set_keeper` (a reviewer choosing a cluster's
keeper). This package is kept light to import; the modules load numpy, scipy and
rapidfuzz.
"""

FILTERS = ("dedup", "rules", "moderation", "judge", "contamination")  # = registry.REGISTRY's order (tested)
