"""The terminal app (Textual): the only package of curator that imports textual.

`build_app` is the one factory: `curator review`, the benchmark and the tests all build the app
with it. Importing this package loads nothing of textual; building the app does.
"""

from __future__ import annotations

from typing import Any


def build_app(*args: Any, **kwargs: Any) -> Any:
    """See `curator.tui.factory.build_app`."""
    from curator.tui.factory import build_app as build
    return build(*args, **kwargs)


__all__ = ["build_app"]
