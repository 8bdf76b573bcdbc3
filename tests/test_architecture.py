"""House rules: the layer contracts in pyproject.toml hold (import-linter), only curator/tui imports textual,
trainer/ never imports the TUI."""

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

IMPORT_ALL = textwrap.dedent("""
    import importlib, json, pkgutil, sys
    package = importlib.import_module(sys.argv[1])
    skip = sys.argv[2] if len(sys.argv) > 2 else None
    names = []

    def walk(path, prefix):
        # pkgutil.walk_packages imports every package it meets, the skipped one too: walk by hand
        for info in pkgutil.iter_modules(path, prefix):
            if skip and (info.name == skip or info.name.startswith(skip + ".")):
                continue
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            names.append(info.name)
            if info.ispkg:
                walk(module.__path__, info.name + ".")

    walk(package.__path__, package.__name__ + ".")
    print(json.dumps({"modules": names, "loaded": sorted(m for m in sys.modules if m.split(".")[0] == "textual"
                                                          or m.startswith("curator.tui"))}))
""")


def _import_everything(package, skip=None):
    args = [sys.executable, "-c", IMPORT_ALL, package] + ([skip] if skip else [])
    result = subprocess.run(args, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_core_never_imports_textual():
    found = _import_everything("curator", skip="curator.tui")
    assert "curator.cli" in found["modules"] and "curator.store.connection" in found["modules"]
    assert found["loaded"] == [], f"textual or the TUI was imported by the core: {found['loaded']}"


def test_trainer_never_imports_the_tui():
    found = _import_everything("trainer")
    assert found["loaded"] == []


@pytest.mark.parametrize("folder", ["curator", "trainer"])
def test_only_the_tui_names_textual_in_source(folder):
    offenders = []
    for path in (REPO / folder).rglob("*.py"):
        if "tui" in path.relative_to(REPO).parts:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("import textual", "from textual")):
                offenders.append(f"{path.relative_to(REPO)}: {stripped}")
    assert offenders == []


def _contracts() -> list[dict]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_the_import_contracts_hold():
    """`lint-imports` on this checkout: layers import downward only, textual only in the TUI, the trainer and the
    product never import the benchmarks. The worktree goes first on the path so its code is the one analysed."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout


def test_every_curator_package_and_module_sits_in_a_layer():
    """A new package or top-level module outside the layers would escape the contract: each one must be placed."""
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    found = {f"curator.{p.name}" for p in (REPO / "curator").iterdir() if (p / "__init__.py").is_file()}
    found |= {f"curator.{p.stem}" for p in (REPO / "curator").glob("*.py") if p.stem not in ("__init__", "__main__")}
    assert found - placed == set(), "add these to a layer in pyproject.toml"


def test_every_cli_area_is_kept_from_importing_the_app():
    """app.py mounts the areas; an area importing app.py back would make the circle the contract forbids."""
    contract = next(c for c in _contracts() if c.get("forbidden_modules") == ["curator.cli.app"])
    areas = {f"curator.cli.{p.stem}" for p in (REPO / "curator" / "cli").glob("*.py") if p.stem not in ("__init__", "app")}
    assert areas - set(contract["source_modules"]) == set(), "add the new CLI module to the contract"


_SQL_CALLS = ("execute", "executemany", "executescript")
_SQL_START = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WITH|PRAGMA|REPLACE)\b", re.IGNORECASE)
# a statement's words anywhere in a string (a piece of an f-string or a fragment joined later), in capitals as the
# store writes them; docstrings are prose and are not looked at
_SQL_INSIDE = re.compile(r"\b(SELECT\s+(DISTINCT\s+)?[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s"
                         r"|DELETE\s+FROM\s|PRAGMA\s+\w|CREATE\s+(TABLE|INDEX|TRIGGER|VIEW)\s)|\blength\(trim\(")


def sql_outside_store(root: Path) -> list[str]:
    """`file:line what` for every SQL call or statement text in a curator module outside curator/store."""
    found = []
    for path in sorted((root / "curator").rglob("*.py")):
        if (root / "curator" / "store") in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SQL_CALLS:
                found.append(f"{path.relative_to(root)}:{node.lineno} .{node.func.attr}(...)")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    (_SQL_START.match(node.value) and re.search(r"\b(FROM|INTO|SET|TABLE|VALUES)\b", node.value))
                    or (id(node) not in docstrings and _SQL_INSIDE.search(node.value))):
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.value[:40]!r}")
    return sorted(found)


def test_every_sql_statement_lives_in_the_store():
    assert sql_outside_store(REPO) == []


def test_the_sql_check_finds_a_statement_outside_the_store(tmp_path):
    module = tmp_path / "curator" / "filters" / "sneaky.py"
    module.parent.mkdir(parents=True)
    (tmp_path / "curator" / "store").mkdir()
    (tmp_path / "curator" / "store" / "fine.py").write_text('def f(c):\n    c.execute("SELECT 1 FROM t")\n')
    module.write_text('def f(conn):\n    return conn.execute(f"SELECT id FROM qa_pairs WHERE x = {1}")\n'
                      'Q = "UPDATE flags SET active = 0"\n'
                      'def g(marks):\n    """SELECT in a docstring is prose."""\n'
                      '    return f" AND kind IN ({marks}) UNION SELECT c.id FROM clusters c"\n')
    assert sql_outside_store(tmp_path) == ["curator/filters/sneaky.py:2 'SELECT id FROM qa_pairs WHERE x = '",
                                           "curator/filters/sneaky.py:2 .execute(...)",
                                           "curator/filters/sneaky.py:3 'UPDATE flags SET active = 0'",
                                           "curator/filters/sneaky.py:6 ') UNION SELECT c.id FROM clusters c'"]
