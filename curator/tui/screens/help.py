"""The help screen: every key of every screen, with its binding id (what `[review.keys]` remaps)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from curator.tui.keys import ALL_KEYS, dialog_bindings

_TITLES = {"app": "Everywhere", "review": "Review (F4)", "pipeline": "Pipeline (F2)", "sources": "Sources (F3)",
           "versions": "Versions (F5)", "train": "Train (F6)", "dialogs": "In dialogs"}


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("help_close")

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._table())

    def _table(self) -> Table:
        app = self.app
        title = Text('Keys (remap any of them in curator.toml: [review.keys] binding_id = "key")', style="bold")
        table = Table(title=title, expand=True, show_edge=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        table.add_column("binding id", style="dim", no_wrap=True)
        for scope, keys in ALL_KEYS.items():
            table.add_row(Text(_TITLES[scope], style="bold underline"), "", "")
            for key in keys:
                shown = ", ".join(app.get_key_display(Binding(k, "")) for k in
                                  (app._keymap.get(key.id) or key.key).split(","))
                table.add_row(shown, key.description, key.id)
            table.add_row("", "", "")
        table.add_row("ctrl+p", "command palette: every action by name", "")
        return table

