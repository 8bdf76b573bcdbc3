"""Generated workspaces: N pairs for the review app, a planted-duplicate set for the filters."""

from benchmarks.dedup import make_workspace
from benchmarks.tui import generate_review_workspace

__all__ = ["generate_review_workspace", "make_workspace"]
