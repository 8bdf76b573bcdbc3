"""Fixtures shared by the whole suite: a fresh workspace, its store, and the CLI run in-process or as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from curator.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "corpora" / "sample"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def conn(workspace: Workspace):
    c = workspace.connect()
    yield c
    c.close()


def run_curator(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the `curator` command in a subprocess, exactly as a user would."""
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "curator", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def curator_cmd():
    return run_curator


@pytest.fixture
def sample_dir() -> Path:
    """corpora/sample: the bilingual sample corpus written for the project."""
    return SAMPLE
