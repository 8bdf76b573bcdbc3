"""Test doubles the suite shares: a scripted LLM server, a generated web site, generated workspaces.

The implementations live in the top-level `benchmarks` package because the benchmarks run
the same doubles (a benchmark is installed without the tests); the tests take them from
here only, so a test never depends on where a benchmark keeps its helpers.
"""
