"""What every screen needs from the app: the workspace, its store, who is reviewing, and the settings."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from curator.tui.workers import Store
from curator.workspace import Workspace

if TYPE_CHECKING:
    from curator.tui.stages import StageSpec


@dataclass
class AppContext:
    ws: Workspace
    store: Store
    actor: str
    reject_reasons: list[str]
    stages: list[StageSpec] = field(default_factory=list)
    llm_base_url: str | None = None       # where regenerate sends its request (None: the configured endpoint)
    curator_command: list[str] = field(default_factory=lambda: [sys.executable, "-m", "curator"])
    jobs: Any = None                      # curator.tui.jobs.Jobs, set by the factory
