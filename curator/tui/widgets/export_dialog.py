"""Export a version: format, split, where to write, whether to include the source chunk."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select

from curator.tui.keys import dialog_bindings
from curator.tui.widgets.dialogs import DIALOG_CSS


class ExportDialog(ModalScreen[dict | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ExportDialog") + """
    ExportDialog Grid { grid-size: 2; grid-columns: 14 1fr; grid-rows: 3; height: auto; }
    ExportDialog Grid Label { padding: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("export_submit", "export_cancel")

    def __init__(self, version_id: str, formats: list[str]) -> None:
        super().__init__()
        self._version_id, self._formats = version_id, formats

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Export version {self._version_id[:12]}", classes="dialog-title")
            with Grid():
                yield Label("format")
                yield Select([(f, f) for f in self._formats], value=self._formats[0], allow_blank=False,
                             id="export-format")
                yield Label("split")
                yield Select([("train and test", "all"), ("train", "train"), ("test", "test")], value="all",
                             allow_blank=False, id="export-split")
                yield Label("write to")
                yield Input(placeholder="empty: exports/<version>/<format>/", id="export-out")
                yield Label("context")
                yield Checkbox("include the source chunk", id="export-context")
            yield Label("ctrl+s: export · escape: cancel", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        out = self.query_one("#export-out", Input).value.strip()
        self.dismiss({"format": self.query_one("#export-format", Select).value,
                      "split": self.query_one("#export-split", Select).value,
                      "out": Path(out).expanduser() if out else None,
                      "context": self.query_one("#export-context", Checkbox).value})

    def action_cancel(self) -> None:
        self.dismiss(None)
