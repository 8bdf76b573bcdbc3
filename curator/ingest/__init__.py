"""Ingestion: loaders per source kind, the crawler, and chunking with provenance."""
