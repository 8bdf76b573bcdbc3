"""The footer: the screen's keys in their order of use, only those that fit whole (a key cut in half reads as
another), the help key (`?`, every key) and the command palette always among them; on a narrow terminal
(80 columns) compact."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

NARROW = 110  # below this many columns the footer is compact and drops the keys that would be cut


class CuratorFooter(Footer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._width_seen = 0

    def compose(self) -> ComposeResult:
        items = list(super().compose())
        width = self.app.size.width
        pad = 2 if width < NARROW else 3  # a compact key has less space around it

        def cost(item: Any) -> int:
            if isinstance(item, FooterKey):
                return len(item.key_display) + len(item.description) + pad
            return 12

        always = [i for i in items if isinstance(i, FooterKey) and i.action in ("app.help", "app.command_palette",
                                                                               "command_palette")]
        budget = width - sum(cost(i) for i in always) - 1  # the leading space
        kept = []
        for item in items:
            if item in always:
                continue
            if cost(item) > budget:
                break  # the keys come in order of use: the rest are under ? and ctrl+p
            budget -= cost(item)
            kept.append(item)
        self.styles.grid_size_columns = len(kept) + len(always)
        yield from kept + always

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW
        if narrow != self.compact:
            self.compact = narrow
        if event.size.width != self._width_seen:
            self._width_seen = event.size.width
            self.refresh(recompose=True)
