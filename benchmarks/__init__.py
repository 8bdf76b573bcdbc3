"""Reproducible benchmarks behind `curator bench ...`; each prints one JSON object."""
