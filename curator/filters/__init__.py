"""Filters: flag duplicates, rule violations, moderation hits, judge verdicts and contamination; never delete.

To explain a flag, read: `registry` (the filters and what each owns), `curator.store.flags`
(the one table of flag kinds), `verdicts` (when a measurement fails), and for duplicates
`dedup` (the pipeline, `near_edges` and `find_duplicates`) with `candidates` (which
questions are compared: MinHash LSH, same numbers, the embeddings' neighbours from
`semantic`), `similarity` (how alike, 0-100), `variants` (whether the changed words are
variants, with `words`, `subjects` and `lexicon`) and `clusters` (grouping, keepers and
member kinds).

Every filter stores what it measured (`filter_scores`, through `curator.store.measurements`);
whether a pair fails is derived from those measurements and the [filters] limits
(`verdicts`), so a moved limit re-decides without recomputing. Entry points:
`run.run_filters` (the `curator filter` command), `verdicts.failing_pairs` and
`verdicts.redecide`, `explain.explain_pair`, `keeper.set_keeper` (a reviewer choosing a
cluster's keeper). The pairs a run looks at are `pair_pool.PairPool`; what each filter
finds is `results.FilterOutput`. This package is kept light to import; the modules load
numpy, scipy and rapidfuzz.
"""

FILTERS = ("dedup", "rules", "moderation", "judge", "contamination")  # = registry.REGISTRY's order (tested)
