"""Dialogs of the sources screen: add files or folders, start a crawl. Each returns the `curator` arguments."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select

from curator.tui.keys import dialog_bindings
from curator.tui.widgets.dialogs import DIALOG_CSS

KINDS = ("transcript", "glossary", "exam", "qa", "document")
_FORM_CSS = """
{name} Grid {{ grid-size: 2; grid-columns: 14 1fr; grid-rows: 3; height: auto; }}
{name} Grid Label {{ padding: 1 0 0 0; }}
{name} > Vertical {{ overflow-y: auto; }}
"""


class AddFilesDialog(ModalScreen[list[str] | None]):
    """Paths (space-separated; quote paths with spaces) and an optional kind; enter adds them."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AddFilesDialog") + _FORM_CSS.format(name="AddFilesDialog")
    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("add_submit", "add_cancel")

    def __init__(self, base: Path) -> None:
        super().__init__()
        self._base = base

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Add files or folders (folders are read recursively)", classes="dialog-title")
            with Grid():
                yield Label("paths")
                yield Input(placeholder="e.g. ~/corpus/transcripts glossary.csv", id="add-paths")
                yield Label("kind")
                yield Select([(k, k) for k in KINDS], prompt="detect from the file", id="add-kind")
            yield Label(f"relative paths start at {self._base}; enter or ctrl+s: add · escape: cancel",
                        classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        try:
            paths = shlex.split(self.query_one("#add-paths", Input).value)
        except ValueError as exc:
            self.notify(f"cannot read the paths: {exc}", severity="error")
            return
        if not paths:
            self.notify("Name at least one file or folder.", severity="warning")
            return
        resolved = [str((self._base / Path(p).expanduser()).resolve()) for p in paths]
        missing = [p for p in resolved if not Path(p).exists()]
        if missing:
            self.notify(f"not found: {', '.join(missing)}", severity="error")
            return
        kind = self.query_one("#add-kind", Select).value
        args = ["add", *resolved]
        if kind is not Select.NULL:
            args += ["--kind", str(kind)]
        self.dismiss(args)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CrawlDialog(ModalScreen[list[str] | None]):
    """Seeds, scope, depth, page limit, delay, excludes and private addresses of a crawl (empty fields take the
    [crawl] settings). Scrolls when the terminal is short."""

    DEFAULT_CSS = DIALOG_CSS.format(name="CrawlDialog") + _FORM_CSS.format(name="CrawlDialog")
    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("crawl_submit", "crawl_cancel")

    def __init__(self, defaults: dict) -> None:
        super().__init__()
        self._defaults = defaults

    def compose(self) -> ComposeResult:
        d = self._defaults
        with Vertical():
            yield Label("Crawl web pages (robots.txt and per-host delays are respected)", classes="dialog-title")
            with Grid():
                yield Label("seed URLs")
                yield Input(placeholder="https://example.org/docs/ (space-separated)", id="crawl-seeds")
                yield Label("scope")
                yield Select([("same host", "host"), ("same host, under the seed's folder", "prefix")],
                             value=d.get("scope", "host"), allow_blank=False, id="crawl-scope")
                yield Label("max depth")
                yield Input(str(d.get("max_depth", "")), id="crawl-depth", type="integer")
                yield Label("max pages")
                yield Input(str(d.get("max_pages", "")), id="crawl-pages", type="integer")
                yield Label("delay (s)")
                yield Input(str(d.get("delay", "")), placeholder="seconds between requests to one host",
                            id="crawl-delay", type="number")
                yield Label("exclude")
                yield Input(placeholder="regexes, space-separated (optional)", id="crawl-exclude")
                yield Label("private")
                yield Checkbox("allow loopback, private-network and link-local addresses (an intranet, a "
                               "local server)", value=bool(d.get("allow_private", False)), id="crawl-private")
            yield Label("ctrl+s: start · escape: cancel", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        seeds = self.query_one("#crawl-seeds", Input).value.split()
        bad = [s for s in seeds if not s.startswith(("http://", "https://"))]
        if not seeds or bad:
            self.notify("Give seed URLs starting with http:// or https://" + (f" (not: {', '.join(bad)})" if bad
                                                                               else ""), severity="error")
            return
        args = ["crawl", *seeds, "--scope", str(self.query_one("#crawl-scope", Select).value)]
        for widget_id, option in (("#crawl-depth", "--max-depth"), ("#crawl-pages", "--max-pages"),
                                  ("#crawl-delay", "--delay")):
            value = self.query_one(widget_id, Input).value.strip()
            if value:
                args += [option, value]
        for pattern in self.query_one("#crawl-exclude", Input).value.split():
            args += ["--exclude", pattern]
        if self.query_one("#crawl-private", Checkbox).value:
            args.append("--allow-private")
        self.dismiss(args)

    def action_cancel(self) -> None:
        self.dismiss(None)
