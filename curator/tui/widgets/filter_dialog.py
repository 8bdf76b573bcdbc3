"""The review filter dialog: status, origin, source, flag, judge score, cluster, eval result and text."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from curator.store.pairs import ORIGINS
from curator.store.review_queries import STATUS_CHOICES, ReviewFilter
from curator.tui.keys import dialog_bindings
from curator.tui.widgets.dialogs import DIALOG_CSS


def _number(text: str, kind: type) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


class FilterDialog(ModalScreen[ReviewFilter | None]):
    """Every filter field at once; ctrl+s or Apply applies, escape keeps the current filter."""

    DEFAULT_CSS = DIALOG_CSS.format(name="FilterDialog") + """
    FilterDialog Grid { grid-size: 2; grid-columns: 16 1fr; grid-rows: 3; height: auto; }
    FilterDialog Grid Label { padding: 1 0 0 0; }
    FilterDialog Grid Horizontal { height: auto; margin-top: 0; }
    FilterDialog Grid Horizontal Input { width: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("filter_apply", "filter_cancel")

    def __init__(self, current: ReviewFilter, choices: dict[str, Any]) -> None:
        super().__init__()
        self._current = current
        self._choices = choices

    def compose(self) -> ComposeResult:
        f = self._current
        sources = [(f"{s['id']}  {s['kind']}  {s['uri'][-60:]}", s["id"]) for s in self._choices["sources"]]
        kinds = [("any flag", "any"), ("no flag", "none")] + [(k, k) for k in self._choices["flag_kinds"]]
        with Vertical():
            yield Label("Filter the review list", classes="dialog-title")
            with Grid():
                yield Label("status")
                yield Select([(s, s) for s in STATUS_CHOICES], value=f.status, allow_blank=False, id="f-status")
                yield Label("origin")
                yield Select([(o, o) for o in ORIGINS], value=f.origin or Select.NULL, id="f-origin")
                yield Label("source")
                yield Select(sources, value=f.source_id if f.source_id is not None else Select.NULL, id="f-source")
                yield Label("flag")
                yield Select(kinds, value=f.flag or Select.NULL, id="f-flag")
                yield Label("judge score")
                with Horizontal():
                    yield Input(_text(f.judge_min), placeholder="min", id="f-judge-min")
                    yield Input(_text(f.judge_max), placeholder="max", id="f-judge-max")
                yield Label("cluster id")
                yield Input(_text(f.cluster_id), placeholder="duplicate cluster id", id="f-cluster")
                yield Label("eval result")
                yield Select([("flagged low by the last evaluation", "low"), ("not flagged low", "not_low")],
                             value=f.eval or Select.NULL, id="f-eval")
                yield Label("text")
                yield Input(f.text, placeholder="words in the question or answer", id="f-text")
            with Horizontal():
                yield Button("Apply", id="apply", variant="primary")
                yield Button("Reset", id="reset")
                yield Button("Cancel", id="cancel")
            yield Label("ctrl+s: apply · escape: cancel", classes="dialog-hint")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        elif event.button.id == "reset":
            self.dismiss(ReviewFilter())
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_apply()

    def action_apply(self) -> None:
        def value(widget_id: str) -> Any:
            v = self.query_one(widget_id, Select).value
            return None if v is Select.NULL else v
        try:
            chosen = ReviewFilter(
                status=value("#f-status") or "pending", origin=value("#f-origin"), source_id=value("#f-source"),
                flag=value("#f-flag"), eval=value("#f-eval"),
                judge_min=_number(self.query_one("#f-judge-min", Input).value, float),
                judge_max=_number(self.query_one("#f-judge-max", Input).value, float),
                cluster_id=_number(self.query_one("#f-cluster", Input).value, int),
                text=self.query_one("#f-text", Input).value.strip())
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _text(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
