"""A workspace: a folder with curator.toml and .curator/workspace.db, found from the current directory upward."""

from __future__ import annotations

import getpass
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curator.config import CONFIG_NAME, default_config_text, load_config
from curator.errors import CuratorError, WorkspaceExists, WorkspaceNotFound
from curator.store import connect

DB_RELATIVE = Path(".curator") / "workspace.db"
ENV_WORKSPACE = "CURATOR_WORKSPACE"


@dataclass
class Workspace:
    root: Path
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def db_path(self) -> Path:
        return self.root / DB_RELATIVE

    def path(self, key: str) -> Path:
        """A configured folder ([paths] versions, runs, exports), resolved inside the workspace."""
        return self.root / self.config["paths"][key]

    @property
    def reviewer(self) -> str:
        return self.config["workspace"]["reviewer"] or _login_name()

    def connect(self) -> sqlite3.Connection:
        if not self.db_path.exists():
            raise WorkspaceNotFound(f"{self.db_path} is missing; the workspace at {self.root} is incomplete. "
                                    "Run `curator init` in a new folder, or restore the database.")
        return connect(self.db_path)


def init_workspace(directory: str | Path) -> Workspace:
    """Create a workspace in `directory` (created if needed); refuse to touch an existing one."""
    root = Path(directory).expanduser().resolve()
    if (root / CONFIG_NAME).exists() or (root / DB_RELATIVE).exists():
        raise WorkspaceExists(f"{root} is already a curator workspace; nothing was changed.")
    try:
        (root / DB_RELATIVE.parent).mkdir(parents=True, exist_ok=True)
        config_tmp = root / (CONFIG_NAME + ".tmp")
        config_tmp.write_text(default_config_text(), encoding="utf-8")
        connect(root / DB_RELATIVE).close()
        os.replace(config_tmp, root / CONFIG_NAME)
    except PermissionError as exc:
        raise CuratorError(f"cannot create a workspace in {root}: permission denied ({exc.filename}).") from exc
    except OSError as exc:
        raise CuratorError(f"cannot create a workspace in {root}: {exc.strerror} ({exc.filename}).") from exc
    return open_workspace(root)


def find_root(start: str | Path | None = None) -> Path:
    """The workspace folder: --workspace, else $CURATOR_WORKSPACE, else the nearest parent holding curator.toml."""
    if start is None and os.environ.get(ENV_WORKSPACE):
        start = os.environ[ENV_WORKSPACE]
    if start is not None:
        root = Path(start).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise WorkspaceNotFound(f"{root} is not a curator workspace (no {CONFIG_NAME}); run `curator init {start}`.")
        return root
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate
    raise WorkspaceNotFound(
        f"no curator workspace in {here} or its parents. Run `curator init` here, or pass --workspace DIR."
    )


def open_workspace(start: str | Path | None = None) -> Workspace:
    root = find_root(start)
    return Workspace(root=root, config=load_config(root / CONFIG_NAME))


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"
