"""Review actions that reach past the store: regenerating with the LLM, and undo of keeper choices.

The store modules (curator.store.review_actions, review_queries, regenerations) hold
what a decision writes; this package adds what needs another stage: asking the
extraction model anew (`regenerate`) and re-scoring a cluster when a keeper choice is
undone (`actions.undo`). The `curator pair` commands and the review app call these.
"""
