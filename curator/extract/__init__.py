"""LLM extraction: transcript and document chunks to schema-valid QA pairs, cached and resumable.

The structured-call engine every LLM stage shares lives in `curator.llm` (engine, calls,
backends, clients, transport, ratelimit, parsing, usage); here `extractor` and `stage` run
the extract stage with `checks`, `guided` and `prompts`.
"""
