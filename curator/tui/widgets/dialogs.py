"""Small modal dialogs shared by the screens: confirm, pick a reason, edit a pair, ask for a line of text."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from curator.tui.keys import dialog_bindings

DIALOG_CSS = """
{name} {{ align: center middle; background: $background 60%; }}
{name} > Vertical {{ width: 80%; max-width: 110; height: auto; max-height: 90%; border: thick $accent;
                    background: $surface; padding: 1 2; overflow-y: auto; }}
{name} .dialog-title {{ text-style: bold; margin-bottom: 1; }}
{name} .dialog-hint {{ color: $text-muted; margin-top: 1; }}
{name} Horizontal {{ height: auto; margin-top: 1; }}
{name} Button {{ margin-right: 2; }}
"""


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; y or enter confirms, n or escape declines."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("confirm_yes", "confirm_no")

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self._title, self._message = title, message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="dialog-title")
            yield Static(self._message)
            yield Label("y: yes    n / escape: no", classes="dialog-hint")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class ReasonPicker(ModalScreen[str | None]):
    """Why a pair is rejected: pick a reason (1-9 or arrows + enter), or type one."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ReasonPicker") + "ReasonPicker OptionList { height: auto; max-height: 14; }"
    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("reason_cancel")
    OTHER = "__other__"

    def __init__(self, reasons: list[str], title: str = "Reject: why?") -> None:
        super().__init__()
        self._reasons = reasons
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="dialog-title")
            options = [Option(f"{i}  {reason}", id=str(i - 1)) for i, reason in enumerate(self._reasons[:9], 1)]
            other = f"{len(options) + 1}  another reason (type it)" if len(options) < 9 else \
                "…  another reason (type it)"
            yield OptionList(*options, Option(other, id=self.OTHER), id="reasons")
            yield Input(placeholder="type the reason and press enter", id="other-reason", classes="hidden")
            yield Label("1-9: pick · enter: choose · escape: cancel", classes="dialog-hint")

    def on_key(self, event: Any) -> None:
        if event.character and event.character.isdigit() and not self.query_one("#other-reason").has_focus:
            index = int(event.character) - 1
            if 0 <= index < min(9, len(self._reasons)):
                event.stop()
                self.dismiss(self._reasons[index])
            elif index == min(9, len(self._reasons)) and index < 9:  # the number shown on "another reason"
                event.stop()
                self._type_another()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == self.OTHER:
            self._type_another()
        else:
            self.dismiss(self._reasons[int(event.option.id)])

    def _type_another(self) -> None:
        box = self.query_one("#other-reason", Input)
        box.remove_class("hidden")
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class EditDialog(ModalScreen[dict[str, str] | None]):
    """Edit a pair's question and answer; ctrl+s saves a new revision, escape keeps the pair as it is."""

    DEFAULT_CSS = DIALOG_CSS.format(name="EditDialog") + """
    EditDialog TextArea { height: 8; margin-bottom: 1; }
    EditDialog #edit-answer { height: 12; }
    """
    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("edit_save", "edit_cancel")

    def __init__(self, pair_id: int, question: str, answer: str) -> None:
        super().__init__()
        self._pair_id, self._question, self._answer = pair_id, question, answer

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Edit pair {self._pair_id} (saved as a new revision; the old one is kept)",
                        classes="dialog-title")
            yield Label("Question")
            yield TextArea(self._question, id="edit-question", soft_wrap=True)
            yield Label("Answer")
            yield TextArea(self._answer, id="edit-answer", soft_wrap=True)
            yield Label("ctrl+s: save · escape: cancel · tab: next field", classes="dialog-hint")

    def action_save(self) -> None:
        question = self.query_one("#edit-question", TextArea).text.strip()
        answer = self.query_one("#edit-answer", TextArea).text.strip()
        if not question or not answer:
            self.notify("A pair needs a question and an answer.", severity="warning")
            return
        if question == self._question.strip() and answer == self._answer.strip():
            self.dismiss(None)
            return
        self.dismiss({"question": question, "answer": answer})

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text (a version message, a path); enter submits, escape cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TextPrompt")
    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("prompt_cancel")

    def __init__(self, title: str, *, value: str = "", placeholder: str = "", hint: str = "") -> None:
        super().__init__()
        self._title, self._value, self._placeholder, self._hint = title, value, placeholder, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="dialog-title")
            yield Input(self._value, placeholder=self._placeholder, id="prompt-input")
            yield Label(self._hint or "enter: ok · escape: cancel", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class MessageDialog(ModalScreen[None]):
    """A longer text to read (an error's details, a comparison); escape or enter closes it."""

    DEFAULT_CSS = DIALOG_CSS.format(name="MessageDialog") + "MessageDialog Vertical { overflow-y: auto; }"
    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("message_close")

    def __init__(self, title: str, body: Any) -> None:
        super().__init__()
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="dialog-title")
            yield Static(self._body, id="message-body")
            with Horizontal():
                yield Button("Close", id="close", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
