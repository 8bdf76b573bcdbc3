"""`curator bench ...` loads the top-level benchmarks package only when a benchmark runs."""

import sys

import pytest

from curator.cli.common import load_benchmark
from curator.errors import CuratorError


def test_a_missing_benchmarks_package_is_one_clear_line(monkeypatch):
    for name in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "benchmarks", None)  # what an install without the package looks like
    with pytest.raises(CuratorError) as caught:
        load_benchmark("dedup")
    message = str(caught.value)
    assert "curator bench dedup" in message and "[bench]" in message and "\n" not in message


def test_the_benchmark_module_is_returned_when_present():
    assert callable(load_benchmark("dedup").run_benchmark)
