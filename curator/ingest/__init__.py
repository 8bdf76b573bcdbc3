"""Ingestion: loaders per source kind, the crawler, and chunking with provenance.

`add` walks files and writes each one in a single transaction; `loaders` picks
the reader (`transcripts`, `glossary`, `exam`, `qa_import`, `documents`) by
extension and record fields; `formatters` turn glossary entries and exam items
into pairs without an LLM; `chunking` (with `segment`) cuts documents into
chunks that keep their character span and, for transcripts, their time span.
`decode`, `pdf`, `language` and `html` are shared with the crawler.
"""
