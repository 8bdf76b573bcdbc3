"""The messages the review screen's workers send it: a read finished (`Loaded`), a write finished (`Written`)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class Loaded(Message):
    """A read finished: `what` names it (ids, rows, detail, counts, choices), `value` holds the result."""

    def __init__(self, what: str, key: Any, value: Any) -> None:
        super().__init__()
        self.what, self.key, self.value = what, key, value


class Written(Message):
    """A write finished: `what` names it (decide, edit, undo, bulk, regenerate), `value` holds its result."""

    def __init__(self, what: str, key: Any, value: Any) -> None:
        super().__init__()
        self.what, self.key, self.value = what, key, value
