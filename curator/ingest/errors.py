"""The error every loader raises for input it cannot use: one clear line naming the file (and line) and the problem."""

from __future__ import annotations

from curator.errors import CuratorError


class IngestError(CuratorError):
    """A file (or one item in it) that cannot be ingested.

    `location` is what the message is about, as `path`, `path:line` or
    `path:line:col`, so `curator add` and `curator status` can point at it.
    """

    def __init__(self, message: str, location: str | None = None) -> None:
        super().__init__(f"{location}: {message}" if location else message)
        self.location = location
        self.reason = message
