"""LLM extraction: transcript and document chunks to schema-valid QA pairs, cached and resumable.

`engine` is the structured-call engine every LLM stage shares (with `call_types`,
`clients`, `transport`, `ratelimit`, `parsing` and `wire`); `extraction` and `stage`
run the extract stage with `checks`, `guided` and `prompts`; `usage` feeds `curator status`.
"""
