"""The bar at the top of every screen: the workspace, and the screens with the key that opens each."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

SCREENS = (("pipeline", "Pipeline", "screen_pipeline"), ("sources", "Sources", "screen_sources"),
           ("review", "Review", "screen_review"), ("versions", "Versions", "screen_versions"),
           ("train", "Train", "screen_train"))


class ScreenTabs(Static):
    """`curator · ws │ F2 Pipeline  F3 Sources  F4 Review ...`, the current screen highlighted."""

    DEFAULT_CSS = """
    ScreenTabs { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self._current = current

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        """Every screen's key stays visible: on a narrow terminal the workspace part and the spacing shrink."""
        app = self.app
        narrow = app.size.width < 110
        text = Text()
        text.append("curator", "bold")
        text.append(f" · {app.ctx.actor} │" if narrow else f" · {app.ctx.ws.root.name} · {app.ctx.actor}  │ ", "dim")
        for name, label, binding_id in SCREENS:
            key = app.key_display_for(binding_id)
            style = "bold reverse" if name == self._current else ""
            text.append(f" {key} {label} ", style)
            if not narrow:
                text.append(" ")
        text.append("│ ? help" if narrow else "│ ctrl+p commands · ? help", "dim")
        self.update(text)
